//! Replies: upload .eml or mbox files to import (matched to requests as `mail import` does), the
//! queue of replies that matched no request, and assigning one by hand.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;

use super::request::{LikelyLine, MessageLine};
use crate::ops::mail::ImportReport;
use crate::store::files::FileStore;
use crate::views::render::printable_line;
use crate::web::auth::{Posted, Signed};
use crate::web::page::{Chrome, PageError, PageResult, read_db, render, see_other, with_db};
use crate::web::state::{AppState, Role, Session, random_token};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/replies", get(replies))
        .route("/replies/upload", post(upload_mail))
        .route("/replies/{id}/assign", post(assign))
}

/// Uploads: read as a stream into a folder of their own beside the database, size-limited, the
/// form token checked before any of the file is read.
pub mod upload {
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};
    use std::time::{Duration, SystemTime};

    use axum::extract::Multipart;
    use axum::http::StatusCode;
    use serde::{Deserialize, Serialize};
    use std::io::Write;

    use crate::web::auth::check_csrf;
    use crate::web::page::{MAX_UPLOAD_BYTES, PageError};
    use crate::web::state::{AppState, Session, random_token};

    /// Uploads older than this are removed when the next one arrives.
    const KEEP: Duration = Duration::from_secs(24 * 3600);

    /// A name safe for a file on disk and in `Content-Disposition`: the last path component,
    /// ASCII letters, digits, '.', '-' and '_' (anything else becomes '_'), no leading dot, at most
    /// 100 characters; "attachment" when nothing is left.
    pub fn safe_file_name(name: &str) -> String {
        let base = name.rsplit(['/', '\\']).next().unwrap_or("");
        let clean: String = base
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' })
            .collect();
        let clean = clean.trim_start_matches(['.', '_']);
        let clean: String = clean.chars().take(100).collect();
        if clean.chars().all(|c| matches!(c, '.' | '_' | '-')) { "attachment".into() } else { clean }
    }

    /// The folder for uploads: `NAME.uploads` beside the database `NAME.db`.
    pub fn root(state: &AppState) -> PathBuf {
        let db = &state.opts.db_path;
        let stem = db.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "foiatrack".into());
        db.parent().map(Path::to_path_buf).unwrap_or_default().join(format!("{stem}.uploads"))
    }

    /// The folder of one upload, when `id` is the shape of an id this server makes (so an id
    /// from outside never becomes another path).
    pub fn dir_of(state: &AppState, id: &str) -> Option<PathBuf> {
        let ok = id.len() == 64 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        let dir = root(state).join(id);
        (ok && dir.is_dir()).then_some(dir)
    }

    pub fn remove_dir(dir: &Path) {
        let _ = std::fs::remove_dir_all(dir);
    }

    /// A received upload: the file in its own folder, and the form's other fields.
    #[derive(Debug)]
    pub struct Upload {
        pub id: String,
        pub dir: PathBuf,
        /// The file's name on disk, inside `dir`.
        pub file: String,
        /// The name the browser gave (its last path component).
        pub name: String,
        pub fields: HashMap<String, String>,
    }

    impl Upload {
        pub fn path(&self) -> PathBuf {
            self.dir.join(&self.file)
        }
        pub fn field(&self, name: &str) -> String {
            self.fields.get(name).cloned().unwrap_or_default()
        }
        pub fn remove(&self) {
            remove_dir(&self.dir);
        }
    }

    fn unreadable(e: axum::extract::multipart::MultipartError) -> PageError {
        let status = e.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            PageError::new(status, format!("The upload could not be read: {}.", e.body_text()))
        }
    }

    fn too_large() -> PageError {
        PageError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("The file is larger than the {} MB the server accepts.", MAX_UPLOAD_BYTES / (1024 * 1024)),
        )
    }

    fn disk(e: std::io::Error) -> PageError {
        PageError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("The upload could not be saved: {e}."))
    }

    /// Removes uploads left over from long ago (a preview never confirmed nor cancelled).
    fn sweep(root: &Path) {
        let Ok(entries) = std::fs::read_dir(root) else { return };
        for e in entries.flatten() {
            let old = e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| SystemTime::now().duration_since(t).ok())
                .is_some_and(|age| age > KEEP);
            if old {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }

    /// Reads a multipart form whose first field is the form token, then streams the field
    /// `file_field` to disk (at most `MAX_UPLOAD_BYTES`) and keeps the small text fields.
    pub async fn receive(
        state: &AppState,
        s: &Session,
        mut mp: Multipart,
        file_field: &str,
    ) -> Result<Upload, PageError> {
        let first = mp.next_field().await.map_err(unreadable)?;
        let token = match first {
            Some(f) if f.name() == Some("csrf") => Some(f.text().await.map_err(unreadable)?),
            _ => None,
        };
        if let Err(e) = check_csrf(s, token.as_deref()) {
            drain(mp).await;
            return Err(e);
        }
        let root = root(state);
        sweep(&root);
        let id = random_token();
        let dir = root.join(&id);
        std::fs::create_dir_all(&dir).map_err(disk)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o700));
        }
        let mut up = Upload { id, dir, file: String::new(), name: String::new(), fields: HashMap::new() };
        match read_fields(&mut mp, &mut up, file_field).await {
            Ok(()) if up.file.is_empty() => {
                up.remove();
                Err(PageError::new(StatusCode::UNPROCESSABLE_ENTITY, "Choose a file to upload."))
            }
            Ok(()) => Ok(up),
            Err(e) => {
                up.remove();
                drain(mp).await;
                Err(e)
            }
        }
    }

    /// Reads the rest of a refused upload and throws it away, so the browser gets the answer:
    /// a connection closed with unread data is reset, and the answer with it.
    pub async fn drain(mut mp: Multipart) {
        while let Ok(Some(mut f)) = mp.next_field().await {
            while let Ok(Some(_)) = f.chunk().await {}
        }
    }

    /// Refuses an upload the role does not allow, after reading what was sent.
    pub async fn require(
        signed: &crate::web::auth::Signed,
        role: crate::web::state::Role,
        what: &str,
        mp: Multipart,
    ) -> Result<Multipart, PageError> {
        match signed.require(role, what) {
            Ok(()) => Ok(mp),
            Err(e) => {
                drain(mp).await;
                Err(e)
            }
        }
    }

    async fn read_fields(mp: &mut Multipart, up: &mut Upload, file_field: &str) -> Result<(), PageError> {
        while let Some(mut field) = mp.next_field().await.map_err(unreadable)? {
            let name = field.name().unwrap_or_default().to_string();
            if name == file_field && up.file.is_empty() {
                let given = field.file_name().unwrap_or_default().to_string();
                let shown = given.rsplit(['/', '\\']).next().unwrap_or("").trim().to_string();
                let file = safe_file_name(&shown);
                let path = up.dir.join(&file);
                // Written as it arrives; each chunk is small, so the write blocks this worker briefly.
                let mut out = std::fs::File::create(&path).map_err(disk)?;
                let mut written = 0usize;
                while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
                    written += chunk.len();
                    if written > MAX_UPLOAD_BYTES {
                        return Err(too_large());
                    }
                    tokio::task::block_in_place(|| out.write_all(&chunk)).map_err(disk)?;
                }
                tokio::task::block_in_place(|| out.sync_all()).map_err(disk)?;
                if written == 0 && shown.is_empty() {
                    // The browser sends an empty part when no file was chosen.
                    let _ = tokio::fs::remove_file(&path).await;
                    continue;
                }
                up.file = file;
                up.name = if shown.is_empty() { "upload".into() } else { shown.chars().take(200).collect() };
            } else {
                let value = field.text().await.map_err(unreadable)?;
                if value.len() > 10_000 {
                    return Err(PageError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        format!("The field {name} is too long."),
                    ));
                }
                up.fields.insert(name, value);
            }
        }
        Ok(())
    }

    /// What an upload waiting for confirmation is, kept beside it.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct Meta {
        /// The request it is for.
        pub code: String,
        /// Who uploaded it (only they may confirm or cancel it).
        pub user: String,
        /// The name the browser gave.
        pub name: String,
        /// Its name on disk.
        pub file: String,
        pub header_row: Option<usize>,
        pub replace: bool,
    }

    const META: &str = "upload.json";

    pub fn write_meta(dir: &Path, meta: &Meta) -> Result<(), PageError> {
        let text = serde_json::to_string(meta).map_err(|e| disk(std::io::Error::other(e)))?;
        std::fs::write(dir.join(META), text).map_err(disk)
    }

    pub fn read_meta(dir: &Path) -> Option<Meta> {
        let meta: Meta = serde_json::from_str(&std::fs::read_to_string(dir.join(META)).ok()?).ok()?;
        // The file is inside the folder, under the name this server gave it.
        (meta.file == safe_file_name(&meta.file) && meta.file != META && dir.join(&meta.file).is_file()).then_some(meta)
    }
}

/// A mail import's outcome, kept for the page the browser is sent to next.
#[derive(Debug, Clone)]
struct Outcome {
    user: String,
    at: Instant,
    file: String,
    report: ImportReport,
}

fn outcomes() -> &'static Mutex<HashMap<String, Outcome>> {
    static O: std::sync::OnceLock<Mutex<HashMap<String, Outcome>>> = std::sync::OnceLock::new();
    O.get_or_init(|| Mutex::new(HashMap::new()))
}

const OUTCOME_KEPT: Duration = Duration::from_secs(3600);

/// One imported message as listed after an upload.
struct ImportedLine {
    date: String,
    from: String,
    subject: String,
    attachments: usize,
    code: Option<String>,
    result: String,
}

struct ReportView {
    file: String,
    lines: Vec<ImportedLine>,
    new: usize,
    unmatched: usize,
    duplicates: usize,
    skipped: Vec<String>,
}

impl ReportView {
    fn of(o: &Outcome) -> Self {
        let r = &o.report;
        let lines = r
            .imported
            .iter()
            .map(|i| ImportedLine {
                date: i.date.to_string(),
                from: printable_line(&i.from).into_owned(),
                subject: printable_line(&i.subject).into_owned(),
                attachments: i.attachments,
                code: if i.duplicate { None } else { i.tracking_code.clone() },
                result: if i.duplicate {
                    "already imported".into()
                } else {
                    let matched = match i.matched_note() {
                        Some(note) => format!("matched {note}"),
                        None => "not matched: in the queue below".into(),
                    };
                    // A bounce, automatic reply or portal notice says so first.
                    format!("{}{matched}", printable_line(&i.kind_note()))
                },
            })
            .collect();
        let new = r.imported.iter().filter(|i| !i.duplicate).count();
        ReportView {
            file: printable_line(&o.file).into_owned(),
            lines,
            new,
            unmatched: r.imported.iter().filter(|i| !i.duplicate && i.tracking_code.is_none()).count(),
            duplicates: r.imported.len() - new,
            skipped: r.skipped.iter().map(|s| printable_line(&s.to_string()).into_owned()).collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "web/replies.html")]
struct RepliesPage {
    chrome: Chrome,
    report: Option<ReportView>,
    assigned: Option<String>,
    message: Option<String>,
    unmatched: Vec<MessageLine>,
    /// Messages waiting in all, of which `unmatched` are one page.
    unmatched_total: i64,
    /// The page shown (1-based), the number of pages, and the first message's position.
    page: u32,
    pages: u32,
    first: i64,
    max_upload: String,
}

/// Unmatched messages shown on one page, each with its likely requests.
const PER_PAGE: u32 = 50;

#[derive(Deserialize, Default)]
#[serde(default)]
struct RepliesQuery {
    report: String,
    assigned: String,
    /// Text, so a page that is not a number (a hand-edited link) shows the first page, not an error.
    page: String,
}

fn is_code(s: &str) -> bool {
    !s.is_empty() && s.len() <= 40 && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
}

async fn page(state: &Arc<AppState>, s: &Session, q: RepliesQuery, message: Option<String>) -> PageResult {
    let asked = q.page.trim().parse::<u64>().map_or(1, |n| n.min(u32::MAX as u64) as u32).max(1);
    let (list, mut likely, total, page, pages) = read_db(state, s, move |conn| {
        let total = crate::store::mail::unmatched_count(conn)?;
        // Past the last page means the last page.
        let pages = (total.max(1) as u64).div_ceil(PER_PAGE as u64).min(u32::MAX as u64) as u32;
        let page = asked.min(pages);
        let list = crate::views::thread::unmatched_page(conn, PER_PAGE, (page - 1).saturating_mul(PER_PAGE))?;
        let ids: Vec<i64> = list.iter().map(|m| m.id).collect();
        let likely = crate::views::suggestions::likely(conn, Some(&ids))?;
        Ok((list, likely, total, page, pages))
    })
    .await?;
    let report = {
        let mut all = outcomes().lock().unwrap_or_else(|e| e.into_inner());
        all.retain(|_, o| o.at.elapsed() < OUTCOME_KEPT);
        all.get(&q.report).filter(|o| o.user == s.user).map(ReportView::of)
    };
    render(&RepliesPage {
        chrome: Chrome::new(s, "replies", state),
        report,
        assigned: is_code(&q.assigned).then_some(q.assigned),
        message,
        unmatched: list
            .iter()
            .map(|m| {
                let mut line = MessageLine::of(m);
                line.likely = likely.remove(&m.id).unwrap_or_default().iter().map(LikelyLine::of).collect();
                line
            })
            .collect(),
        unmatched_total: total,
        page,
        pages,
        first: (page as i64 - 1) * PER_PAGE as i64 + 1,
        max_upload: super::request::size(crate::web::page::MAX_UPLOAD_BYTES as i64),
    })
}

async fn replies(State(state): State<Arc<AppState>>, Signed(s): Signed, Query(q): Query<RepliesQuery>) -> PageResult {
    page(&state, &s, q, None).await
}

/// The replies page with what went wrong at the top, and the error's status.
async fn refused(state: &Arc<AppState>, s: &Session, err: PageError) -> PageResult {
    if err.status.is_server_error() || err.status == StatusCode::FORBIDDEN {
        return Err(err);
    }
    let mut res = page(state, s, RepliesQuery::default(), Some(err.message.clone())).await?;
    *res.status_mut() = err.status;
    Ok(res)
}

async fn upload_mail(State(state): State<Arc<AppState>>, signed: Signed, mp: Multipart) -> PageResult {
    let mp = upload::require(&signed, Role::Staff, "import replies", mp).await?;
    let s = signed.0;
    let up = match upload::receive(&state, &s, mp, "file").await {
        Ok(up) => up,
        Err(e) => return refused(&state, &s, e).await,
    };
    let (path, name) = (up.path(), up.name.clone());
    let today = state.today();
    let store = FileStore::beside(&state.opts.db_path);
    let shown = format!("upload {name}");
    let done =
        with_db(&state, &s, move |conn| crate::ops::mail::import_path_as(conn, &store, &path, &shown, today)).await;
    up.remove();
    let report = match done {
        Ok(r) => r,
        Err(e) => return refused(&state, &s, e).await,
    };
    let id = random_token();
    outcomes()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id.clone(), Outcome { user: s.user.clone(), at: Instant::now(), file: name, report });
    Ok(see_other(&format!("/replies?report={id}")))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AssignForm {
    code: String,
}

async fn assign(
    State(state): State<Arc<AppState>>,
    signed: Signed,
    Path(id): Path<String>,
    Posted(f): Posted<AssignForm>,
) -> PageResult {
    signed.require(Role::Staff, "assign replies")?;
    let s = signed.0;
    let Ok(id) = id.parse::<i64>() else {
        return Err(PageError::not_found("That reply"));
    };
    if f.code.trim().is_empty() {
        return refused(
            &state,
            &s,
            PageError::new(StatusCode::UNPROCESSABLE_ENTITY, "Give the tracking code of the request."),
        )
        .await;
    }
    let today = state.today();
    match with_db(&state, &s, move |conn| crate::ops::mail::assign(conn, id, &f.code, today)).await {
        Ok(i) => Ok(see_other(&format!("/replies?assigned={}", i.tracking_code.unwrap_or_default()))),
        Err(e) => refused(&state, &s, e).await,
    }
}
