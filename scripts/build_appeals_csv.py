#!/usr/bin/env python3
"""Builds data/appeals.csv from the research file shared/data/state_appeals.csv.

The research file holds free text; foiatrack needs structured fields. The decisions below were
made by reading every row and its notes (state_appeals_notes.md) by hand; nothing here parses
free text. The research texts are kept beside the decisions (appeal_deadline_note,
constructive_denial_note, pre_suit_notice_note, notes) so a reviewer can check each one.

Rules used:
- appeal_days/appeal_day_type only where the statute (or rule) gives a number for an appeal or
  petition and the research saw it; "unverified" numbers stay text only. Court filing deadlines
  (ID, ME, MO, ...) are not appeal windows: they stay in the notes.
- "30 days" with no day type in the statute is calendar days.
- constructive_denial = yes only where the research saw a provision that makes silence past the
  law's own response period a denial; "in effect", conditional, differently timed or unverified
  provisions are "no" (the letters then make no such claim) and the text is kept.
- appeal_window_from: denial (a written determination starts the window),
  denial_or_deemed_denial (also the deemed denial, i.e. the due date passing),
  denial_or_request (MA: a failure to respond is appealed from the date of the request).
- appeal_binds: all, or state_agencies / executive_agencies (agency kind state_agency only);
  other agencies use other_appeal_body when given, else the court remedy.

Usage: python3 scripts/build_appeals_csv.py SHARED/state_appeals.csv > data/appeals.csv
"""

import csv
import sys

COLUMNS = [
    "state", "appeal_kind", "appeal_body", "appeal_addressed_to", "appeal_binds", "other_appeal_body",
    "other_appeal_citation", "court_remedy", "appeal_days", "appeal_day_type", "appeal_window_from",
    "appeal_deadline_note", "constructive_denial", "constructive_denial_citation", "constructive_denial_note",
    "pre_suit_notice_days", "pre_suit_notice_day_type", "pre_suit_notice_citation", "pre_suit_notice_note",
    "letter_citation", "appeal_citation", "sources", "notes",
]


def court(remedy, appeal_cit, letter_cit, cd="no", cd_cit="", note="", **kw):
    d = dict(appeal_kind="court_only", court_remedy=remedy, appeal_citation=appeal_cit,
             letter_citation=letter_cit, constructive_denial=cd, constructive_denial_citation=cd_cit,
             decision=note)
    d.update(kw)
    return d


def route(kind, body, to, appeal_cit, letter_cit, days="", dtype="", frm="", cd="no", cd_cit="",
          remedy="", note="", **kw):
    d = dict(appeal_kind=kind, appeal_body=body, appeal_addressed_to=to, appeal_citation=appeal_cit,
             letter_citation=letter_cit, appeal_days=days, appeal_day_type=dtype, appeal_window_from=frm,
             constructive_denial=cd, constructive_denial_citation=cd_cit, court_remedy=remedy, decision=note)
    d.update(kw)
    return d


D = {
    "AL": court("an action in circuit court", "", "Ala. Code § 36-12-40 et seq.",
                note="No appeal section to cite. The 2024 presumption of denial runs 30 business/60 calendar days "
                     "from acknowledgment, not from the response period, so letters make no deemed-denial claim."),
    "AK": route("administrative", "head of the agency", "agency", "2 AAC 96.340", "Alaska Stat. § 40.25.110 et seq.",
                binds="executive_agencies", remedy="an action in superior court",
                note="The appeal regulation covers state executive-branch agencies only (2 AAC 96.900(7)); other "
                     "bodies (e.g. Anchorage) follow their own rules, so they get the court remedy, uncited. "
                     "The 60-day appeal deadline is unverified: no window. Letter citation uses § 40.25.110 "
                     "(the public-records sections run 40.25.110-.220) and leaves out the regulation."),
    "AZ": court("a special action in superior court", "A.R.S. § 39-121.02", "A.R.S. § 39-121 et seq.",
                cd="yes", cd_cit="A.R.S. § 39-121.01(E)",
                note="Deemed denial when the custodian fails to respond promptly; Arizona sets no number of days."),
    "AR": court("an action in circuit court", "Ark. Code Ann. § 25-19-107", "Ark. Code Ann. § 25-19-101 et seq."),
    "CA": court("a petition in superior court", "Cal. Gov. Code § 7923.000", "Cal. Gov. Code § 7920.000 et seq."),
    "CO": court("an application to the district court", "C.R.S. § 24-72-204(5)", "C.R.S. § 24-72-201 et seq.",
                pre_suit_notice_days="14", pre_suit_notice_day_type="calendar",
                pre_suit_notice_citation="C.R.S. § 24-72-204(5)",
                note="Written notice of intent to sue is required at least 14 days before filing (3 business "
                     "days where an expedited need is stated; not modelled)."),
    "CT": route("external_review", "Freedom of Information Commission", "body", "Conn. Gen. Stat. § 1-206(b)",
                "Conn. Gen. Stat. § 1-200 et seq.", "30", "calendar", "denial_or_deemed_denial",
                cd="yes", cd_cit="Conn. Gen. Stat. § 1-206(a)", remedy="an appeal to Superior Court"),
    "DE": route("external_review", "Attorney General, Delaware Department of Justice", "body", "29 Del. C. § 10005",
                "29 Del. C. § 10001 et seq.", remedy="an action in court",
                note="No petition deadline found (unverified): no window."),
    "DC": route("administrative", "Mayor's Office of Legal Counsel", "body", "D.C. Code § 2-537",
                "D.C. Code § 2-531 et seq.", cd="yes", cd_cit="D.C. Code § 2-532(e)",
                remedy="an action in Superior Court",
                note="The appeal is a petition to the Mayor, outside the agency: addressed to the Mayor's Office "
                     "of Legal Counsel with the agency copied. Council and Attorney General records go straight "
                     "to Superior Court (§ 2-537(a-1), (a-2)); not modelled by agency kind."),
    "FL": court("an action in circuit court", "Fla. Stat. § 119.11", "Fla. Stat. § 119.01 et seq.",
                note="The 5-business-day notice in § 119.12(1)(b) conditions attorney fees, is not required to "
                     "sue, and its enactment was not verified: no notice letter."),
    "GA": court("an action in superior court", "O.C.G.A. § 50-18-73", "O.C.G.A. § 50-18-70 et seq."),
    "HI": route("external_review", "Office of Information Practices", "body", "Haw. Rev. Stat. § 92F-15.5",
                "Haw. Rev. Stat. ch. 92F", remedy="an action in circuit court",
                note="The one-year appeal period is not a number of days: kept as text, no window. Non-response "
                     "is appealable but not called a denial, so letters make no deemed-denial claim."),
    "ID": court("a petition in district court", "Idaho Code § 74-115", "Idaho Code § 74-101 et seq.",
                note="Deemed denial (§ 74-103(4)) comes from agency guidance, statute text not seen: no claim. "
                     "The 180-day court deadline is a suit deadline, kept in the notes."),
    "IL": route("external_review", "Public Access Counselor, Office of the Attorney General", "body",
                "5 ILCS 140/9.5(a)", "5 ILCS 140/1 et seq.", "60", "calendar", "denial_or_deemed_denial",
                cd="yes", cd_cit="5 ILCS 140/3(d)", remedy="an action in circuit court"),
    "IN": route("external_review", "Office of the Public Access Counselor", "body", "Ind. Code § 5-14-5-7",
                "Ind. Code § 5-14-3-1 et seq.", "30", "calendar", "denial_or_deemed_denial",
                cd="yes", cd_cit="Ind. Code § 5-14-3-9", remedy="an action in circuit or superior court"),
    "IA": route("external_review", "Iowa Public Information Board", "body", "Iowa Code § 23.7",
                "Iowa Code ch. 22", "60", "calendar", "denial", remedy="an action in district court",
                note="The 60 days run from the violation; for silence its date is unclear, so the window runs "
                     "only from a written denial."),
    "KS": court("an action in district court", "K.S.A. 45-222", "K.S.A. 45-215 et seq."),
    "KY": route("external_review", "Office of the Attorney General", "body", "KRS 61.880(2)",
                "KRS 61.870 to 61.884", remedy="an action in circuit court",
                note="No deadline for most requesters (inmates: 20 days, not modelled). Silence is appealable "
                     "but not called a denial: no claim."),
    "LA": court("an action in district court", "La. R.S. 44:35", "La. R.S. 44:1 et seq.",
                note="44:35(A) treats 5 days without a written determination as a denial, which is not the "
                     "3-day response period: letters make no deemed-denial claim."),
    "ME": court("an appeal to Superior Court", "1 M.R.S. § 409(1)", "1 M.R.S. § 400 et seq.",
                note="The 30-day court appeal runs from a written notice; kept in the notes, not a window."),
    "MD": route("external_review", "Public Access Ombudsman", "body", "Md. Code Ann., Gen. Prov. § 4-1B-04",
                "Md. Code Ann., Gen. Prov. § 4-101 et seq.", remedy="an action in circuit court",
                note="The Ombudsman (mediation) comes first; the Compliance Board complaint deadline runs from "
                     "the Ombudsman's final determination, so no window from the denial."),
    "MA": route("external_review", "Supervisor of Records, Division of Public Records", "body",
                "M.G.L. c. 66, § 10A(a); 950 CMR 32.08", "M.G.L. c. 66, § 10", "90", "calendar", "denial_or_request",
                remedy="an action in Superior Court",
                note="A failure to respond is appealed within 90 calendar days of the request (950 CMR "
                     "32.08(1)(d)); it is appealable, not called a denial."),
    "MI": route("administrative", "head of the public body", "agency", "MCL 15.240(1)(a)", "MCL 15.231 et seq.",
                remedy="an action in circuit court",
                note="The written appeal must state the word 'appeal' (MCL 15.240(1)(a)). No deadline for the "
                     "administrative appeal. Deemed denial (MCL 15.235(3)) is conditional: no claim."),
    "MN": route("external_review", "Office of Administrative Hearings", "body", "Minn. Stat. § 13.085",
                "Minn. Stat. ch. 13", remedy="an action in district court",
                note="The OAH complaint is sworn and carries a filing fee; the 2-year limit is kept as text, no window."),
    "MS": route("external_review", "Mississippi Ethics Commission", "body", "Miss. Code Ann. § 25-61-13",
                "Miss. Code Ann. § 25-61-1 et seq.", remedy="an action in chancery court"),
    "MO": court("an action in circuit court", "Mo. Rev. Stat. § 610.027", "Mo. Rev. Stat. § 610.010 et seq."),
    "MT": court("an action in district court", "Mont. Code Ann. § 2-6-1009", "Mont. Code Ann. § 2-6-1001 et seq."),
    "NE": route("external_review", "Office of the Attorney General", "body", "Neb. Rev. Stat. § 84-712.03(1)(b)",
                "Neb. Rev. Stat. § 84-712 et seq.", remedy="an action for mandamus in district court"),
    "NV": court("an action in district court", "NRS 239.011", "NRS ch. 239"),
    "NH": court("a petition in superior court", "RSA 91-A:7", "RSA ch. 91-A",
                note="The Right-to-Know Ombudsman (RSA 91-A:7-b) was set to sunset on July 1, 2025 and its "
                     "continuation is unverified, so no petition letter is offered; the court remedy is certain."),
    "NJ": route("external_review", "Government Records Council", "body", "N.J.S.A. 47:1A-6",
                "N.J.S.A. 47:1A-1 et seq.", "45", "calendar", "denial_or_deemed_denial",
                cd="yes", cd_cit="N.J.S.A. 47:1A-5(i)", remedy="an action in Superior Court"),
    "NM": court("an enforcement action in district court", "NMSA 1978, § 14-2-12", "NMSA 1978, § 14-2-1 et seq.",
                note="§ 14-2-11(A) says a request 'may be deemed denied': letters make no deemed-denial claim."),
    "NY": route("administrative", "records access appeals officer", "agency", "N.Y. Pub. Off. Law § 89(4)(a)",
                "N.Y. Pub. Off. Law § 84 et seq.", "30", "calendar", "denial_or_deemed_denial",
                cd="yes", cd_cit="N.Y. Pub. Off. Law § 89(4)(a)", remedy="an Article 78 proceeding"),
    "NC": court("an action in superior court", "N.C. Gen. Stat. § 132-9", "N.C. Gen. Stat. § 132-1 et seq."),
    "ND": route("external_review", "Office of the Attorney General", "body", "N.D.C.C. § 44-04-21.1",
                "N.D. Cent. Code § 44-04-18", "30", "calendar", "denial", remedy="an action in district court",
                note="The AG reviews written denials; the window runs from a written denial only."),
    "OH": court("a complaint in the Court of Claims or an action in mandamus", "R.C. 2743.75; R.C. 149.43(C)",
                "Ohio Rev. Code § 149.43"),
    "OK": court("an action in district court", "", "51 O.S. § 24A.1 et seq.",
                note="The court section (§ 24A.17) is from general knowledge, unverified: not cited."),
    "OR": route("external_review", "Attorney General", "body", "ORS 192.411", "ORS 192.311 et seq.",
                binds="state_agencies", other_appeal_body="district attorney of the county",
                other_appeal_citation="ORS 192.415", remedy="an action in circuit court",
                note="State agencies: petition the Attorney General; other public bodies: the district attorney. "
                     "Records of elected officials go to court (ORS 192.427; not modelled)."),
    "PA": route("external_review", "Office of Open Records", "body", "65 P.S. § 67.1101(a)(1)",
                "65 P.S. § 67.101 et seq.", "15", "business", "denial_or_deemed_denial",
                cd="yes", cd_cit="65 P.S. § 67.901", remedy="review in court",
                note="Legislative and judicial agencies, the Attorney General, State Treasurer, Auditor General "
                     "and district attorneys (criminal investigative records) designate their own appeals "
                     "officers (§ 67.503); not modelled by agency kind."),
    "RI": route("both", "chief administrative officer of the public body", "agency", "R.I. Gen. Laws § 38-2-8(a)",
                "R.I. Gen. Laws § 38-2-1 et seq.", cd="yes", cd_cit="R.I. Gen. Laws § 38-2-7(b)",
                remedy="an action in Superior Court",
                note="Then a complaint to the Attorney General or suit in Superior Court (§ 38-2-8(b))."),
    "SC": court("an action in circuit court", "S.C. Code Ann. § 30-4-100", "S.C. Code Ann. § 30-4-10 et seq.",
                cd="deemed_approved", cd_cit="S.C. Code Ann. § 30-4-30",
                note="A request not answered in writing in time must be considered approved: letters never call "
                     "silence a denial. The subsection letter after the 2017 amendment was not re-read, so the "
                     "citation names the section only. The 1-year suit limit is unverified."),
    "SD": route("external_review", "Office of Hearing Examiners", "body", "SDCL 1-27-38", "SDCL ch. 1-27",
                remedy="an action in circuit court",
                note="The 90-day deadline is from general knowledge (unverified): no window. The deemed-denial "
                     "text was truncated in the source: no claim."),
    "TN": court("a petition in chancery court", "Tenn. Code Ann. § 10-7-505", "Tenn. Code Ann. § 10-7-501 et seq.",
                cd="yes", cd_cit="Tenn. Code Ann. § 10-7-503(a)(3)"),
    "TX": route("external_review", "Open Records Division, Office of the Attorney General", "body",
                "Tex. Gov't Code §§ 552.301, 552.328", "Tex. Gov't Code ch. 552",
                remedy="an action for a writ of mandamus",
                note="The body itself must ask the AG for a ruling to withhold (§ 552.301); the requester may "
                     "complain to the AG about non-response (§ 552.328). No deemed denial: a missed ruling "
                     "request makes the information presumed public (§ 552.302, from general knowledge)."),
    "UT": route("both", "chief administrative officer of the governmental entity", "agency",
                "Utah Code § 63G-2-401(1)(a)", "Utah Code § 63G-2-101 et seq.", "30", "calendar",
                "denial_or_deemed_denial", cd="yes", cd_cit="Utah Code § 63G-2-204(9)",
                remedy="a petition in district court",
                note="Then the Government Records Office (2025 S.B. 277) or district court, within 30 days of "
                     "the chief administrative officer's decision."),
    "VT": route("administrative", "head of the agency", "agency", "1 V.S.A. § 318", "1 V.S.A. §§ 315-320",
                cd="yes", cd_cit="1 V.S.A. § 318", remedy="an action in Superior Court"),
    "VA": court("a petition for mandamus or injunction in general district or circuit court", "Va. Code § 2.2-3713",
                "Va. Code § 2.2-3700 et seq.", cd="yes", cd_cit="Va. Code § 2.2-3704(E)",
                note="The copy of the petition served 3 working days before filing is for a hearing within 7 "
                     "days, not a notice required to sue: no notice letter."),
    "WA": route("both", "public records officer", "agency", "RCW 42.56.520", "RCW ch. 42.56",
                remedy="an action in superior court",
                note="Internal review is deemed complete at the end of the second business day after the denial; "
                     "then, for state agencies, optional Attorney General review (RCW 42.56.530), or court."),
    "WV": court("an action in circuit court", "W. Va. Code § 29B-1-5", "W. Va. Code § 29B-1-1 et seq."),
    "WI": court("an action for mandamus", "Wis. Stat. § 19.37(1)", "Wis. Stat. §§ 19.31-19.39"),
    "WY": court("an action in district court", "", "Wyo. Stat. § 16-4-201 et seq.",
                note="The court section is recalled, not seen: not cited."),
    "US": route("administrative", "FOIA appeals officer", "agency", "5 U.S.C. § 552(a)(6)(A)",
                "5 U.S.C. § 552", "90", "calendar", "denial", remedy="an action in federal district court",
                note="FOIA guarantees not less than 90 days; agencies' rules may allow more, so 90 is the safe "
                     "date. Missed time limits are constructive exhaustion (§ 552(a)(6)(C)(i)), not a denial: "
                     "no deemed-denial claim and no window from silence."),
}


def main():
    rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
    out = csv.DictWriter(sys.stdout, COLUMNS, lineterminator="\n")
    out.writeheader()
    for r in rows:
        d = dict(D[r["state"]])
        decision = d.pop("decision", "")
        if "binds" in d:
            d["appeal_binds"] = d.pop("binds")
        d.setdefault("appeal_binds", "all")
        d["state"] = r["state"]
        d["appeal_deadline_note"] = r["appeal_deadline"]
        d["constructive_denial_note"] = r["constructive_denial"]
        d["pre_suit_notice_note"] = r["pre_suit_notice"]
        d["sources"] = r["source"]
        research = f"Research: appeal body: {r['appeal_body']}; appeal citation: {r['appeal_citation']}."
        d["notes"] = " ".join(x for x in [decision, r["notes"], research] if x)
        assert d["appeal_kind"] in ("administrative", "external_review", "court_only", "both"), r["state"]
        assert (d["appeal_kind"] == "court_only") == (not d.get("appeal_body")), r["state"]
        out.writerow({k: d.get(k, "") for k in COLUMNS})


if __name__ == "__main__":
    main()
