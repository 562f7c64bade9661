/** The weekly review page's style sheet, inlined into the page. */

export const STYLE = `
:root{--ink:#1f2430;--muted:#5b6472;--faint:#8a93a0;--line:#dde1e7;--bg:#f3f4f6;--card:#fff;
--ok:#1d7a4c;--ok-bg:#e7f4ec;--bad:#b3261e;--bad-bg:#fcebea;--warn:#8a5a00;--warn-bg:#fdf3dc;
--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
*{box-sizing:border-box}
html{background:var(--bg);color:var(--ink)}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;-webkit-font-smoothing:antialiased}
main{max-width:1240px;margin:0 auto;padding:24px 24px 40px}
h1,h2{line-height:1.25;margin:0}
h1{font-size:26px}
h2{font-size:18px;margin-bottom:4px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin-top:18px}
.masthead{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:20px 22px}
.eyebrow{margin:0 0 2px;font-size:12px;letter-spacing:.06em;text-transform:uppercase;color:var(--muted)}
.facts{display:flex;flex-wrap:wrap;gap:10px 40px;margin:16px 0 0}
.facts dt{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.facts dd{margin:0;font-variant-numeric:tabular-nums;font-weight:600}
.counts{list-style:none;display:flex;flex-wrap:wrap;gap:8px;margin:14px 0 0;padding:0}
.count{border:1px solid var(--line);border-radius:999px;padding:3px 12px;font-size:14px;color:var(--muted)}
.count .n{font-weight:700;color:var(--ink);font-variant-numeric:tabular-nums}
.count-fixed .n{color:var(--ok)}.count-escalated .n{color:var(--bad)}.count-suppressed .n{color:var(--warn)}
.hint{margin:8px 0 12px;color:var(--muted);font-size:13.5px}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:4px 18px;margin:0 0 10px;padding:8px 12px;background:#fafbfc;border:1px solid var(--line);border-radius:8px}
.legend li{display:flex;align-items:center;gap:6px;font-size:13px}
.chart-scroll,.table-scroll{overflow-x:auto}
.chart{display:block;width:100%;min-width:640px;height:auto}
.chart rect:hover{stroke:#000;stroke-width:1.5}
table{border-collapse:collapse;width:100%;font-size:14px;margin-top:12px}
th{text-align:left;font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);font-weight:600;border-bottom:2px solid var(--line);padding:6px 8px}
td{border-bottom:1px solid var(--line);padding:8px 8px;vertical-align:top}
td.refused{min-width:150px}
tbody tr:hover{background:#fafbfc}
td.runbook,td.alarm{word-break:break-word}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.mono{font-family:var(--mono)}
.small{font-size:12.5px}
.muted{color:var(--muted)}
.toil-figure{margin:6px 0 0;font-size:15px}
.toil-figure .n{font-size:26px;font-weight:700;color:var(--ok)}
.candidates{margin:6px 0 0;padding-left:22px}
.candidate{padding:8px 0;border-bottom:1px solid var(--line)}
.candidate:last-child{border-bottom:0}
.candidate .what strong{word-break:break-all}
.candidate .detail{color:var(--muted);font-size:13.5px;word-break:break-word}
.badge{display:inline-block;border-radius:999px;padding:1px 10px;font-size:12.5px;font-weight:600;white-space:nowrap}
.badge-unhandled-alarm{background:var(--bad-bg);color:var(--bad)}
.badge-failing-runbook{background:var(--warn-bg);color:var(--warn)}
.badge-demote{background:var(--warn-bg);color:var(--warn)}
.badge-promote{background:var(--ok-bg);color:var(--ok)}
.graduation{padding:8px 0;border-bottom:1px solid var(--line)}
footer{margin-top:18px;color:var(--faint);font-size:12.5px}
`;
