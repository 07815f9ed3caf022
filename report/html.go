package report

import (
	"bufio"
	"context"
	"fmt"
	"html/template"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/triagekit/triage/triage/casedb"
)

// WriteHTML writes the report as one self-contained HTML file: inline CSS,
// no scripts, nothing fetched. Every value from the evidence goes through
// html/template's contextual escaping, and names are passed through Visible,
// so a hostile file name can neither become markup nor hide characters.
// The listing appendix is streamed row by row from the case.
func WriteHTML(ctx context.Context, w io.Writer, r *Report) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	if err := htmlTmpl.ExecuteTemplate(bw, "head", r); err != nil {
		return err
	}
	if r.Listing {
		if err := htmlTmpl.ExecuteTemplate(bw, "listing-start", r); err != nil {
			return err
		}
		n := 0
		err := r.Files(ctx, func(f *casedb.FileRecord) error {
			n++
			return htmlTmpl.ExecuteTemplate(bw, "listing-row", listingRow{n, f, r})
		})
		if err != nil {
			return err
		}
		if err := htmlTmpl.ExecuteTemplate(bw, "listing-end", n); err != nil {
			return err
		}
	}
	if err := htmlTmpl.ExecuteTemplate(bw, "tail", r); err != nil {
		return err
	}
	return bw.Flush()
}

// htmlName shows a name read from evidence (ShowName) as HTML: every byte
// that is not valid UTF-8 as a \xHH escape in a marked span, so that
// names differing only in such bytes read differently and an escape cannot
// be mistaken for the characters \, x and two digits in a name.
func htmlName(s string) template.HTML {
	if utf8.ValidString(s) {
		return template.HTML(template.HTMLEscapeString(Visible(s)))
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			fmt.Fprintf(&b, `<span class="rawbyte" title="byte %#02x: not valid UTF-8">\x%02X</span>`, s[i], s[i])
		} else {
			b.WriteString(template.HTMLEscapeString(Visible(s[i : i+n])))
		}
		i += n
	}
	return template.HTML(b.String())
}

type listingRow struct {
	N int
	F *casedb.FileRecord
	R *Report
}

var htmlFuncs = template.FuncMap{
	"vis":   Visible,
	"name":  htmlName,
	"extra": ExtraString,
	"near":  NearMatch,
	"bytes": HumanBytes,
	"n":     Thousands,
	"cmd":   CommandLine,
	"flags": func(f *casedb.FileRecord) string {
		return Flags(f.Deleted, f.Stream, f.Complete, f.ExtensionMismatch)
	},
	"join":    strings.Join,
	"utc":     UTCTime,
	"reason":  func(f *casedb.FileRecord) string { return Visible(MismatchReason(f)) },
	"flatten": FlattenDetails,
	"add":     func(a, b int) int { return a + b },
	"deref": func(p *int64) int64 {
		if p == nil {
			return -1
		}
		return *p
	},
}

var htmlTmpl = template.Must(template.New("report").Funcs(htmlFuncs).Parse(htmlSource))

const htmlSource = `{{define "head"}}<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="report-id" content="{{.ID}}">
<title>{{.Title}} {{.ID}}</title>
<style>
:root { --ink: #1a1a1a; --muted: #5a5a5a; --rule: #c8c8c8; --band: #f3f3f3; --bad: #a40000; --warn: #8a5a00; }
html { font-family: "DejaVu Sans", "Segoe UI", Arial, sans-serif; font-size: 10pt; color: var(--ink); }
body { max-width: none; margin: 1.5em 2em; padding: 0; line-height: 1.35; }
h1 { font-size: 1.7em; margin: 0 0 .2em; }
h2 { font-size: 1.25em; border-bottom: 2px solid var(--ink); padding-bottom: .15em; margin-top: 1.6em; break-after: avoid; }
h3 { font-size: 1.05em; margin: 1.1em 0 .3em; break-after: avoid; }
.idline { color: var(--muted); margin-bottom: 1em; }
.mono, td.hash, code { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: .85em; word-break: break-all; }
td.hash, td.hash div { word-break: normal; overflow-wrap: normal; white-space: nowrap; }
table { border-collapse: collapse; width: 100%; margin: .4em 0 .8em; }
th, td { border: 1px solid var(--rule); padding: .2em .4em; vertical-align: top; text-align: left; overflow-wrap: break-word; hyphens: none; }
th { background: var(--band); font-weight: 600; }
thead th { white-space: nowrap; }
table.kv th { width: 28%; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
td.num { text-align: right; white-space: nowrap; }
.bad { color: var(--bad); font-weight: 600; }
.warn { border: 2px solid var(--bad); background: #fff0f0; padding: .6em .8em; margin: 1em 0; }
.note { color: var(--muted); font-size: .9em; }
.sig td { height: 2.6em; }
.pagefoot { display: none; }
.rawbyte { background: #ffe9a8; outline: 1px dotted var(--warn); font-family: "DejaVu Sans Mono", Consolas, monospace; }
@page {
  size: A4; margin: 16mm 12mm 16mm 12mm;
  @top-left { content: "{{.Title}}"; font-size: 8pt; color: #5a5a5a; }
  @top-right { content: "Report ID {{.ID}}"; font-size: 8pt; color: #5a5a5a; }
  @bottom-left { content: "Report ID {{.ID}}"; font-size: 8pt; color: #5a5a5a; }
  @bottom-right { content: "page " counter(page) " of " counter(pages); font-size: 8pt; color: #5a5a5a; }
}
@media print {
  html { font-size: 9pt; }
  body { max-width: none; margin: 0; padding: 0; }
  h2 { break-before: auto; }
  .appendix { break-before: page; }
  a { color: inherit; text-decoration: none; }
}
</style>
</head>
<body>
<header>
<h1>{{.Title}}</h1>
<div class="idline">Report ID <strong class="mono">{{.ID}}</strong> · generated {{.Time .GeneratedAt}}</div>
</header>
{{if not .Custody.Intact}}<div class="warn"><strong>WARNING: the custody log of this case is broken.</strong> {{.Custody.Problem}}.
This report was produced over a broken chain at the examiner's request; its custody section cannot be relied on.</div>{{end}}
{{if .NoScans}}<div class="warn"><strong>No evidence has been scanned in this case.</strong> This report holds no findings.</div>{{end}}

<section class="glance" id="findings">
<h2>Findings at a glance</h2>
<h3>What was examined</h3>
{{if .Findings.Examined}}<ul>{{range .Findings.Examined}}<li>{{.}}</li>{{end}}</ul>{{else}}<p>No evidence item.</p>{{end}}
<h3>What was found</h3>
<ul>{{range .Findings.Found}}<li>{{.}}</li>{{end}}</ul>
<h3>What was not examined</h3>
{{if .NotExamined}}<ul>{{range .NotExamined}}<li>{{.}}</li>{{end}}</ul>{{else}}<p>Every evidence item was examined completely as far as triage reads (see section 7).</p>{{end}}
</section>

<h2 id="case">1. Case</h2>
<table class="kv">
<tr><th>Case number</th><td>{{.Case.CaseNumber}}</td></tr>
<tr><th>Lab case ID</th><td>{{.Case.LabCaseID}}</td></tr>
<tr><th>Agency</th><td>{{.Case.Agency}}</td></tr>
<tr><th>Requesting officer</th><td>{{.Case.RequestingOfficer}}</td></tr>
<tr><th>Examiner</th><td>{{.Case.Examiner}}{{with .Case.ExaminerRole}}, {{.}}{{end}}</td></tr>
<tr><th>Authority</th><td>{{.Case.Authority}}</td></tr>
<tr><th>Description</th><td>{{.Case.Description}}</td></tr>
<tr><th>Case created</th><td>{{.Time .CaseCreatedAt}}</td></tr>
<tr><th>Times shown in</th><td>UTC{{if ne .TimeZone "UTC"}}, and {{.TimeZone}} in brackets{{end}}</td></tr>
<tr><th>Case directory</th><td class="mono">{{vis .CaseDir}}</td></tr>
</table>

<h2 id="evidence">2. Evidence items examined</h2>
{{if not .Evidence}}<p>None.</p>{{end}}
{{range .Evidence}}
<h3>Evidence item {{.ID}}{{range .Exhibit}}{{if eq .Key "Exhibit ID"}} — exhibit {{.Value}}{{end}}{{end}}</h3>
<table class="kv">
{{range .Exhibit}}<tr><th>{{.Key}}</th><td>{{if eq .Key "Received"}}{{$.Time .Value}}{{else}}{{.Value}}{{end}}</td></tr>
{{end}}<tr><th>Source</th><td class="mono">{{vis .Source}}</td></tr>
<tr><th>Type</th><td>{{.Type}}</td></tr>
<tr><th>Size</th><td>{{bytes .Size}}</td></tr>
<tr><th>Scan state</th><td>{{.State}}{{with .SupersededBy}} — superseded by evidence item {{.}} (a rescan of the same source); not counted in the summary{{end}}</td></tr>
<tr><th>Scan started / finished</th><td>{{$.Time .StartedAt}} / {{$.Time .FinishedAt}}</td></tr>
<tr><th>Examiner · host</th><td>{{if .Examiner}}{{.Examiner}}{{else if $.Case.Examiner}}{{$.Case.Examiner}} (the case's examiner){{else}}(not recorded){{end}} · {{.Host}}</td></tr>
<tr><th>Digests computed</th><td>{{join .HashAlgorithms ", "}}</td></tr>
<tr><th>Records · content bytes · errors</th><td>{{n .Files}} · {{bytes .Bytes}} · {{n .Errors}}</td></tr>
{{range .MediaHashes}}<tr><th>{{.Key}}</th><td class="hash">{{.Value}}</td></tr>
{{end}}{{range .Verification}}<tr><th>{{.Key}}</th><td class="hash">{{.Value}}</td></tr>
{{end}}{{range .OtherMetadata}}<tr><th>{{.Key}}</th><td>{{vis .Value}}</td></tr>
{{end}}</table>
{{if not .MediaHashes}}<p class="note">No full-media hash is recorded for this item{{if eq .Type "folder"}} (a folder has none; each file's hashes are listed){{end}}.</p>{{end}}
{{if .Volumes}}<table><thead><tr><th>Volume</th><th>Offset</th><th>Length</th><th>Type</th><th>File system</th><th>Label</th></tr></thead><tbody>
{{range .Volumes}}<tr><td class="num">{{.Index}}</td><td class="num">{{.Offset}}</td><td class="num">{{.Length}}</td><td>{{.Type}}</td><td>{{.FS}}</td><td>{{vis .Label}}</td></tr>
{{end}}</tbody></table>{{end}}
{{end}}

<h2 id="method">3. Method and tools</h2>
<p>Each evidence item was opened read-only by triage, which read every file once, computed the digests listed, identified the file type from its content, compared the type with the file name's extension, and looked the digests up in the hash sets listed below.</p>
<table class="kv">
<tr><th>Report generated by</th><td>{{.Tool.Program}} {{.Tool.Version}} (commit <span class="mono">{{.Tool.Commit}}</span>, {{.Tool.GoVersion}}, {{.Tool.Platform}})</td></tr>
<tr><th>Binary SHA-256</th><td class="hash">{{.Tool.SHA256}}</td></tr>
{{if .Tool.Validation}}<tr><th>Validation record</th><td>{{.Tool.Validation}}</td></tr>
{{end}}<tr><th>Report command</th><td class="mono">{{vis (cmd .CommandLine)}}</td></tr>
<tr><th>Host</th><td>{{.Host}}</td></tr>
</table>
<h3>Scan runs</h3>
{{if not .Runs}}<p>No scan has been run.</p>{{else}}
<table><thead><tr><th>Run</th><th>Item</th><th>Started / finished</th><th>State</th><th>Tool</th><th>Command line</th></tr></thead><tbody>
{{range .Runs}}<tr><td class="num">{{.ID}}</td><td class="num">{{.EvidenceID}}</td><td>{{$.Time .StartedAt}}<br>{{$.Time .FinishedAt}}</td><td>{{.State}}</td><td>triage {{.ToolVersion}}<br><span class="mono">{{.ToolCommit}}</span></td><td class="mono">{{vis (cmd .CommandLine)}}</td></tr>
{{end}}</tbody></table>
{{range .Evidence}}<p class="note">Item {{.ID}} scanned with triage {{.Tool.Version}} on {{.Tool.Platform}} ({{.Tool.GoVersion}}), binary SHA-256 <span class="mono">{{.Tool.SHA256}}</span>.</p>
{{end}}{{end}}
<h3>Hash sets used</h3>
{{if not .HashSets}}<p>No hash sets were used: every file is reported as "unknown".</p>{{else}}
<p>Each file's digests were looked up in the hash sets below. For each set: what it is, what a match means, the file it was imported from with that file's SHA-256, how many entries it holds for each digest, and when and by which triage it was imported.</p>
{{range .HashSets}}<h4>Hash set “{{.Name}}”</h4>
<table class="kv">
{{range $.HashSetRows .}}<tr><th>{{.Label}}</th><td{{if .Mono}} class="hash"{{end}}>{{vis .Value}}</td></tr>
{{end}}</table>
{{end}}{{end}}

<h2 id="summary">4. Summary</h2>
<table class="kv">
<tr><th>Records (files, folders, links, streams)</th><td class="num">{{n .Summary.Records}}</td></tr>
<tr><th>Files</th><td class="num">{{n .Summary.Files}}</td></tr>
<tr><th>Content bytes</th><td class="num">{{bytes .Summary.Bytes}}</td></tr>
<tr><th>Known-bad files</th><td class="num{{if .Summary.KnownBad}} bad{{end}}">{{n .Summary.KnownBad}}</td></tr>
<tr><th>Notable files</th><td class="num">{{n .Summary.Notable}}</td></tr>
<tr><th>Known files (known-good)</th><td class="num">{{n .Summary.KnownGood}}</td></tr>
<tr><th>Unknown files</th><td class="num">{{n .Summary.Unknown}}</td></tr>
<tr><th>Extension mismatches</th><td class="num">{{n .Summary.ExtensionMismatch}}</td></tr>
<tr><th>Deleted</th><td class="num">{{n .Summary.Deleted}}</td></tr>
<tr><th>Incomplete or unreadable records</th><td class="num">{{n .Summary.Incomplete}}</td></tr>
<tr><th>Errors recorded</th><td class="num">{{n .Summary.Errors}}</td></tr>
</table>

<h2 id="hits">5. Known-bad and notable files</h2>{{with .Hits.LatestMatch}}
<p>{{.}}</p>{{end}}
{{range .SupersededNotes "hits"}}<p class="note">{{.}}</p>
{{end}}{{if not .Hits.Records}}<p>None.</p>{{else}}
{{template "records" .Hits}}{{end}}
{{with .KnownBadHours}}{{if .Hours}}<h3 id="hours">Busiest hours of the known-bad files</h3>
<p class="note">{{.HoursNote}}</p>
<table><thead><tr><th>Hour (UTC)</th><th>Files</th><th>Modified</th><th>Accessed</th><th>Changed</th><th>Created</th></tr></thead><tbody>
{{range .Hours}}<tr><td>{{utc .Start}} to {{utc .End}}</td><td class="num">{{.Files}}</td><td class="num">{{.Modified}}</td><td class="num">{{.Accessed}}</td><td class="num">{{.Changed}}</td><td class="num">{{.Created}}</td></tr>
{{end}}</tbody></table>{{end}}{{end}}

<h2 id="mismatch">6. Extension mismatches</h2>
{{range .SupersededNotes "mismatches"}}<p class="note">{{.}}</p>
{{end}}{{if not .Mismatches.Records}}<p>None.</p>{{else}}
<table><thead><tr><th>Item</th><th>Path</th><th>Size</th><th>Extension</th><th>Reason</th><th>SHA-256</th></tr></thead><tbody>
{{range .Mismatches.ByType}}<tr><th colspan="6">Detected type {{.MIME}} ({{len .Records}})</th></tr>
{{range .Records}}<tr><td class="num">{{.Evidence}}</td><td class="mono">{{name .Path}}</td><td class="num">{{n .Size}}</td><td>{{vis .Extension}}</td><td>{{reason .}}</td><td class="hash">{{.SHA256}}</td></tr>
{{end}}{{end}}</tbody></table>{{if .Mismatches.Truncated}}<p class="note">First {{len .Mismatches.Records}} of {{n .Mismatches.Total}} shown.</p>{{end}}{{end}}

<h2 id="limits">7. Errors, incomplete items and limitations</h2>
{{if .Limitations}}<ul>{{range .Limitations}}<li>{{.}}</li>{{end}}</ul>{{else}}<p>No limitations were recorded.</p>{{end}}
{{range .SupersededNotes "incomplete"}}<p class="note">{{.}}</p>
{{end}}{{range .SupersededNotes "errors"}}<p class="note">{{.}}</p>
{{end}}{{if .Incomplete.Records}}<h3>Incomplete or unreadable records</h3>
<table><thead><tr><th>Item</th><th>Path</th><th>Size</th><th>Problem</th></tr></thead><tbody>
{{range .Incomplete.Records}}<tr><td class="num">{{.Evidence}}</td><td class="mono">{{name .Path}}</td><td class="num">{{n .Size}}</td><td>{{vis .Error}}</td></tr>
{{end}}</tbody></table>{{end}}
{{if .Errors}}<h3>Errors recorded during scans</h3>
<table><thead><tr><th>Item</th><th>Path</th><th>Offset</th><th>Message</th><th>At</th></tr></thead><tbody>
{{range .Errors}}<tr><td class="num">{{.EvidenceID}}</td><td class="mono">{{name .RawPath}}</td><td class="num">{{with .Offset}}{{printf "%#x" (deref .)}}{{end}}</td><td>{{vis .Message}}</td><td>{{$.Time .At}}</td></tr>
{{end}}</tbody></table>{{end}}

<h2 id="custody">8. Chain of custody</h2>
<p>{{if .Custody.Intact}}The custody log (custody.jsonl) holds {{len .Custody.Events}} events; its hash chain was verified intact when this report was generated. Head hash: <span class="mono">{{.Custody.Head}}</span>.{{else}}<strong class="bad">The custody log is broken: {{.Custody.Problem}}.</strong> The events below are those before the break.{{end}}</p>
<p>The events are grouped per evidence item (the case's own events first); each event's number is its place in the log.</p>
<h3>Transfers, seals and notes recorded by people</h3>
{{$groups := .CustodyGroups}}{{if not .HumanEvents}}<p>None: no transfer, seal or note was recorded in the custody log.</p>
{{else}}{{range $groups}}<h4>{{.Title}}</h4>
{{if .Human}}<table><thead><tr><th>#</th><th>Time</th><th>Who</th><th>What</th></tr></thead><tbody>
{{range .Human}}<tr><td class="num">{{.Seq}}</td><td>{{$.Time .Time}}</td><td>{{.Actor}}</td><td>{{.Text}}</td></tr>
{{end}}</tbody></table>{{else}}<p class="note">None.</p>{{end}}
{{end}}{{end}}<h3>Every event, including those triage records, by evidence item</h3>
{{range $groups}}<h4>{{.Title}}</h4>
{{if .Events}}<table><thead><tr><th>#</th><th>Time</th><th>Actor · host</th><th>Action</th><th>Details</th></tr></thead><tbody>
{{range .Events}}<tr><td class="num">{{.Seq}}</td><td>{{$.Time .Time}}</td><td>{{.Actor}}<br><span class="note">{{.Host}}</span></td><td>{{.Action}}</td><td>{{range $.EventDetails .}}<div>{{.Key}}: {{vis .Value}}</div>{{end}}</td></tr>
{{end}}</tbody></table>{{else}}<p class="note">None.</p>{{end}}
{{end}}
<h2 id="statement">9. Statement and signature</h2>
<p>{{.Statement}}</p>
<table class="kv sig">
<tr><th>Examiner</th><td>{{.Case.Examiner}}{{with .Case.ExaminerRole}}, {{.}}{{end}}</td></tr>
<tr><th>Signature</th><td></td></tr>
<tr><th>Date</th><td></td></tr>
</table>
<p class="note">The SHA-256 of this file is recorded in the report manifest ({{.ID}}), which may be signed; check it with <code>triage verify</code> or <code>minisign -V</code>.</p>
{{end}}
{{define "records"}}<table><thead><tr><th>Item</th><th>Status · set</th><th>Path · flags</th><th>Size</th><th>Hashes</th><th>Times (UTC)</th><th>Volume</th></tr></thead><tbody>
{{$m := .Matched}}{{range $i, $f := .Records}}{{with $f}}<tr><td class="num">{{.Evidence}}</td><td class="{{if eq .Status "known-bad"}}bad{{end}}">{{.Status}}<br>{{if $m}}{{index $m $i}}{{else}}{{join .Hashsets ", "}}{{end}}</td><td class="mono">{{name .Path}}{{with flags .}}<div class="note">{{.}}</div>{{end}}</td><td class="num">{{n .Size}}</td><td class="hash">{{with .MD5}}<div>MD5 {{.}}</div>{{end}}{{with .SHA1}}<div>SHA-1 {{.}}</div>{{end}}{{with .SHA256}}<div>SHA-256 {{.}}</div>{{end}}{{template "fuzzy" .}}</td><td>{{template "times" .}}</td><td>{{with .Volume}}{{.}}{{end}}</td></tr>
{{end}}{{end}}</tbody></table>{{if .Truncated}}<p class="note">First {{len .Records}} of {{n .Total}} shown; the full listing holds all.</p>{{end}}{{end}}
{{define "times"}}{{if not .Mtime.IsZero}}<div>M {{utc .Mtime}}</div>{{end}}{{if not .Atime.IsZero}}<div>A {{utc .Atime}}</div>{{end}}{{if not .Ctime.IsZero}}<div>C {{utc .Ctime}}</div>{{end}}{{if not .Btime.IsZero}}<div>B {{utc .Btime}}</div>{{end}}{{end}}
{{define "listing-start"}}<section class="appendix">
<h2 id="listing">Appendix A. Full file listing</h2>
{{with .ListingNote}}<p class="note">{{.}}</p>
{{end}}<table><thead><tr><th>#</th><th>Item</th><th>Path</th><th>Type</th><th>Size</th><th>Status</th><th>SHA-256 · MD5</th><th>Modified (UTC)</th><th>Flags</th></tr></thead><tbody>
{{end}}
{{define "fuzzy"}}{{with extra . "ssdeep"}}<div>ssdeep {{.}}</div>{{end}}{{with extra . "tlsh"}}<div>TLSH {{.}}</div>{{end}}{{with near .}}<div>near match {{.}}</div>{{end}}{{end}}
{{define "listing-row"}}<tr><td class="num">{{.N}}</td><td class="num">{{.F.Evidence}}</td><td class="mono">{{name .F.Path}}</td><td>{{.F.Type}}</td><td class="num">{{n .F.Size}}</td><td>{{.F.Status}}</td><td class="hash">{{with .F.SHA256}}<div>SHA-256 {{.}}</div>{{end}}{{with .F.MD5}}<div>MD5 {{.}}</div>{{end}}{{template "fuzzy" .F}}</td><td>{{if not .F.Mtime.IsZero}}{{utc .F.Mtime}}{{end}}</td><td>{{flags .F}}</td></tr>
{{end}}
{{define "listing-end"}}</tbody></table>
<p class="note">{{.}} records.</p>
</section>
{{end}}
{{define "tail"}}<footer class="note"><p>{{.Title}} · Report ID {{.ID}} · end of report</p></footer>
</body>
</html>
{{end}}`
