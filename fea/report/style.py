"""Inline CSS of the report (no external stylesheet or font: the file must open offline)."""

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 1300px; color: #222; line-height: 1.4; padding: 0 1em; }
h1 { border-bottom: 3px solid #345; padding-bottom: .2em; }
h2 { border-bottom: 1px solid #bbb; margin-top: 2em; }
table { border-collapse: collapse; margin: .6em 0 1.2em; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 7px; text-align: right; vertical-align: top; }
th { background: #eef1f5; position: sticky; top: 0; }
td.text, th.text { text-align: left; }
tr.failed td { background: #fde2e2; }
td.good { background: #dff3df; } td.warn { background: #fff1c9; } td.bad { background: #fbd0d0; }
.flag-bad { color: #a00; font-weight: 600; } .flag-warn { color: #8a5a00; }
.note { background: #f6f6f6; border-left: 4px solid #888; padding: .5em 1em; }
.figs { display: flex; flex-wrap: wrap; gap: 10px; }
.figs figure { margin: 0; width: 48%; } .figs img { width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 12px; color: #555; }
pre { background: #f6f6f6; padding: .6em; overflow-x: auto; font-size: 12px; }
.scroll { overflow-x: auto; }
.verdict { display: flex; gap: 12px; align-items: center; border: 1px solid #ccc;
           border-left: 6px solid #345; padding: .4em .8em; margin: .4em 0; }
.verdict[data-overall="fail"], .verdict[data-overall="not converged"] { border-left-color: #c00; }
.verdict[data-overall="borderline"] { border-left-color: #d90; }
.verdict[data-overall="pass"] { border-left-color: #2a2; }
.vtext { flex: 1; } .crit { white-space: nowrap; } .vnote { font-size: 13px; color: #555; }
.thumb figure { margin: 0; width: 240px; } .thumb img { width: 240px; border: 1px solid #ddd; }
.v { font-weight: 600; padding: 0 .4em; border-radius: 3px; }
.v-pass { background: #dff3df; color: #1a5e1a; }
.v-borderline { background: #fff1c9; color: #7a5000; }
.v-fail { background: #fbd0d0; color: #900; } .v-not-converged { background: #c00; color: #fff; }
.v-not-computed { background: #eee; color: #555; }
"""
