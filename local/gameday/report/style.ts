/** The report's style sheet, inlined into the page. */

export const STYLE = `
:root{--ink:#1f2430;--muted:#5b6472;--faint:#8a93a0;--line:#dde1e7;--bg:#f3f4f6;--card:#fff;
--ok:#1d7a4c;--ok-bg:#e7f4ec;--bad:#b3261e;--bad-bg:#fcebea;--warn:#8a5a00;--warn-bg:#fdf3dc;--page:#6d3fc0;--page-bg:#f0eafb;--person:#0f7b8a;--person-bg:#e3f4f6;
--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
*{box-sizing:border-box}
html{background:var(--bg);color:var(--ink)}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;-webkit-font-smoothing:antialiased}
main{max-width:1320px;margin:0 auto;padding:24px 24px 40px}
h1,h2,h3{line-height:1.25;margin:0}
h2{font-size:18px;margin-bottom:4px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin-top:18px}
.masthead{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:20px 22px}
.eyebrow{margin:0 0 2px;font-size:12px;letter-spacing:.06em;text-transform:uppercase;color:var(--muted)}
.scenario-name{font-size:26px}
.scenario-description{margin:4px 0 14px;color:var(--muted);max-width:80ch}
.verdict{display:flex;gap:12px;align-items:flex-start;padding:12px 16px;border-radius:8px;border:1px solid;font-size:15px}
.verdict ul{margin:4px 0 0;padding-left:18px}
.verdict .detail{color:var(--muted)}
.verdict-mark{font-size:20px;line-height:1.1;font-weight:700}
.verdict-pass{background:var(--ok-bg);border-color:#b5dcc4;color:#124d30}
.verdict-fail{background:var(--bad-bg);border-color:#efbcb8;color:#7d1a14}
.verdict-none{background:#f3f4f6;border-color:var(--line)}
.facts{display:flex;flex-wrap:wrap;gap:10px 40px;margin:16px 0 0}
.facts div{min-width:0}
.facts dt{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.facts dd{margin:0;font-variant-numeric:tabular-nums;font-weight:600}
.unit{font-weight:400;color:var(--muted);font-size:13px}
.counts{list-style:none;display:flex;flex-wrap:wrap;gap:8px;margin:14px 0 0;padding:0}
.count{border:1px solid var(--line);border-radius:999px;padding:3px 12px;font-size:14px;color:var(--muted)}
.count .n{font-weight:700;color:var(--ink);font-variant-numeric:tabular-nums}
.count-verified .n{color:var(--ok)}.count-escalated .n{color:var(--bad)}.count-suppressed .n{color:var(--warn)}.count-pages .n{color:var(--page)}.count-approved .n,.count-by-hand .n,.count-people .n{color:var(--person)}
.hint{margin:0 0 12px;color:var(--muted);font-size:13.5px}
.legend{display:flex;flex-wrap:wrap;gap:6px 28px;margin:0 0 12px;padding:10px 12px;background:#fafbfc;border:1px solid var(--line);border-radius:8px}
.legend-group{display:flex;align-items:baseline;gap:10px;flex-wrap:wrap}
.legend h3{font-size:11px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);min-width:54px}
.legend ul{list-style:none;display:flex;flex-wrap:wrap;gap:4px 14px;margin:0;padding:0}
.legend li{display:flex;align-items:center;gap:6px;font-size:13px}
.swatch{flex:none}
.timeline-scroll,.table-scroll{overflow-x:auto}
.timeline{display:block;width:100%;min-width:900px;height:auto}
.timeline .attempt:hover,.timeline .page:hover path,.timeline .refusal:hover path{stroke:#000;stroke-width:2}
table{border-collapse:collapse;width:100%;font-size:14px}
th{text-align:left;font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);font-weight:600;border-bottom:2px solid var(--line);padding:6px 10px}
td{border-bottom:1px solid var(--line);padding:8px 10px;vertical-align:top}
tbody tr:hover{background:#fafbfc}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.mono{font-family:var(--mono)}
.small{font-size:12.5px}
.muted{color:var(--muted)}
.incident-id{max-width:340px}
.incident-runbook,.incident-instance{white-space:nowrap}
.badge{display:inline-block;border-radius:999px;padding:1px 10px;font-size:13px;font-weight:600;white-space:nowrap}
.badge-verified,.badge-approved{background:var(--ok-bg);color:var(--ok)}
.badge-by-hand,.badge-person{background:var(--person-bg);color:var(--person)}
.people td.who{white-space:nowrap}
.badge-escalated{background:var(--bad-bg);color:var(--bad)}
.badge-suppressed,.badge-dry-run{background:var(--warn-bg);color:var(--warn)}
.badge-cleared,.badge-open{background:#eef0f3;color:var(--muted)}
.kind{display:inline-block;border-radius:6px;padding:0 8px;font-size:13px;background:var(--page-bg);color:var(--page);white-space:nowrap}
.subject{word-break:break-word}
.expectations{list-style:none;margin:6px 0 0;padding:0}
.expectation{display:flex;gap:12px;padding:8px 0;border-bottom:1px solid var(--line)}
.expectation:last-child{border-bottom:0}
.expectation .mark{flex:none;width:24px;height:24px;border-radius:50%;display:inline-flex;align-items:center;justify-content:center;font-weight:700}
.expectation-held .mark{background:var(--ok-bg);color:var(--ok)}
.expectation-failed .mark{background:var(--bad-bg);color:var(--bad)}
.expectation-failed .what{color:var(--bad);font-weight:600}
.expectation .detail{color:var(--muted);font-size:13.5px}
footer{margin-top:18px;color:var(--faint);font-size:12.5px}
`;
