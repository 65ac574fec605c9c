// foiatrack conveniences. Everything works without this file; it only adds small comforts.
// "Select all" for bulk-action tables: a checkbox with data-select-all="NAME" toggles every
// checkbox named NAME in the same form.
document.addEventListener("change", function (e) {
  var t = e.target;
  if (t && t.dataset && t.dataset.selectAll) {
    var boxes = t.form ? t.form.querySelectorAll('input[type=checkbox][name="' + t.dataset.selectAll + '"]') : [];
    for (var i = 0; i < boxes.length; i++) { boxes[i].checked = t.checked; }
  }
});
// A progress page refreshes itself while a batch runs (data-refresh="SECONDS").
(function () {
  var el = document.querySelector("[data-refresh]");
  if (el) { setTimeout(function () { window.location.reload(); }, 1000 * Number(el.dataset.refresh || 2)); }
})();
