"""Google Sheets requests per stage for a cycle at plant scale, against the offline Sheets fake.

Builds the synthetic plant (plant.py; ``--scale 1``: 200,000 lines, 4,000 locations, 1,000
due) and runs the whole cycle with Google Sheets exactly as ``make demo-gsheets`` does, by
calling examples/demo_gsheets.py's ``run()`` on that plant: schedule -> sheets (one
spreadsheet, a tab per due location) -> the counters' counts written straight into the fake ->
ingest (results to Google) -> finance's approvals written straight into the fake -> finalize.

Every HTTP request that gspread sends to the fake (tests/sheets_fake.py, which validates it
against Google's Sheets v4 discovery document) is recorded: its kind (create, batchUpdate,
values:batchGetByDataFilter, get, Drive permissions, Drive copy, ...), the spreadsheet it went
to, the bytes of its body as sent, the length of its URL, and the time the fake took to answer it.
For every stage: requests by kind, the biggest request, wall time (and the part of it spent
inside the fake), and the targets:

* a workbook is created in at most 3 requests (create + batchUpdate), sharing aside;
* the count sheets are read back in 1 request, whatever the number of tabs.

Writes gsheets_requests.md and gsheets_requests.json into ``--report`` (default: this folder
at scale 1, else the work folder, so a small run never overwrites the measured file), with the
headline numbers of the report they replace (same scale) side by side; benchmarks/run.py copies
the .md into RESULTS.md.

    python benchmarks/gsheets_requests.py              # scale 1: 1,000 count tabs
    python benchmarks/gsheets_requests.py --scale 0.1  # 100 count tabs
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(ROOT / "examples"))

import demo_gsheets  # noqa: E402  (puts the repository root on sys.path: cyclekit, tests)
import plant  # noqa: E402
import run as bench_run  # noqa: E402

from cyclekit.backends.gsheets import MAX_PAYLOAD  # noqa: E402
from cyclekit.config import load_config  # noqa: E402
from tests.sheets_fake import FakeSheets  # noqa: E402

REPORT_NAME = "gsheets_requests"
CREATE_TARGET = 3  # create + batchUpdate(s), sharing aside
READ_TARGET = 1
ADVISED_BYTES = 2_000_000  # Google: "we recommend a 2 MB maximum payload" (developers.google.com/sheets/api/limits)
HARD_LIMIT_BYTES = 10_485_760  # Google answers 400 "Request payload size exceeds the limit: 10485760 bytes"
QUOTA_PER_MINUTE = 60  # Sheets API write (and read) requests per minute per user

# the fake's op -> how the report names it
KINDS = {
    "drive.files.create": "create (Drive files.create in the folder)",
    "spreadsheets.create": "create (spreadsheets.create)",
    "spreadsheets.batchUpdate": "spreadsheets.batchUpdate",
    "drive.permissions.create": "sharing (Drive permissions.create)",
    "spreadsheets.get": "spreadsheets.get (tab titles / metadata)",
    "values.batchGet": "values:batchGet",
    "values.batchGetByDataFilter": "values:batchGetByDataFilter (POST, ranges in the body)",
    "values.get": "values.get",
    "drive.files.copy": "Drive files.copy (backup of the schedule)",
}
CREATE_OPS = {"drive.files.create", "spreadsheets.create"}
READ_OPS = {"spreadsheets.get", "values.batchGet", "values.batchGetByDataFilter", "values.get"}
BATCH_GETS = {"values.batchGet", "values.batchGetByDataFilter"}
_FILE_ID = re.compile(r"/(?:v4/spreadsheets|drive/v3/files)/([^/:]+)")


class MeteredFake(FakeSheets):
    """The Sheets fake, also noting for each request its size, target file and time in the fake."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.meter: list[dict[str, Any]] = []

    def handle(self, request):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        response = super().handle(request)
        seconds = time.perf_counter() - started
        rec = self.requests[-1]
        body = request.body or b""
        match = _FILE_ID.search(urlsplit(request.url or "").path)
        file_id = unquote(match.group(1)) if match else None
        if rec.op in CREATE_OPS and response.status_code == 200:
            answer = response.json()
            file_id = answer.get("id") or answer.get("spreadsheetId")
        self.meter.append({
            "op": rec.op, "status": response.status_code, "file": file_id,
            "body_bytes": len(body.encode() if isinstance(body, str) else body),
            "url_chars": len(request.url or ""),
            "response_bytes": len(response.content or b""),
            "sub_requests": len(rec.body.get("requests") or []) if rec.op == "spreadsheets.batchUpdate"
            and isinstance(rec.body, dict) else None,
            "ranges": len(rec.query.get("ranges", [])) if rec.op == "values.batchGet" else
                      len(rec.body.get("dataFilters") or []) if rec.op == "values.batchGetByDataFilter"
                      and isinstance(rec.body, dict) else None,
            "fake_s": seconds,
        })
        return response


def stage_summary(records: list[dict[str, Any]], wall: float, names: dict[str, str]) -> dict[str, Any]:
    by_kind = Counter(r["op"] for r in records)
    biggest = max(records, key=lambda r: r["body_bytes"], default=None)
    longest = max(records, key=lambda r: r["url_chars"], default=None)
    files: dict[str, dict[str, dict[str, int]]] = {}
    for r in records:
        entry = files.setdefault(names.get(r["file"], r["file"] or "?"), {}).setdefault(
            r["op"], {"requests": 0, "max_body_bytes": 0, "max_url_chars": 0})
        entry["requests"] += 1
        entry["max_body_bytes"] = max(entry["max_body_bytes"], r["body_bytes"])
        entry["max_url_chars"] = max(entry["max_url_chars"], r["url_chars"])
    return {
        "wall_s": round(wall, 2),
        "fake_s": round(sum(r["fake_s"] for r in records), 2),
        "requests": len(records),
        "reads": sum(1 for r in records if r["op"] in READ_OPS),
        "writes": sum(1 for r in records if r["op"] not in READ_OPS),
        # the Sheets API's own per-minute quota counts these; Drive calls have a quota of their own
        "sheets_writes": sum(1 for r in records if r["op"] not in READ_OPS and not r["op"].startswith("drive.")),
        "sheets_reads": sum(1 for r in records if r["op"] in READ_OPS),
        "failed": sum(1 for r in records if r["status"] >= 400),
        "by_kind": dict(by_kind),
        "by_file": files,
        "batch_updates": [{"file": names.get(r["file"], r["file"]), "body_bytes": r["body_bytes"],
                           "sub_requests": r["sub_requests"], "fake_s": round(r["fake_s"], 3)}
                          for r in records if r["op"] == "spreadsheets.batchUpdate"],
        "batch_gets": [{"file": names.get(r["file"], r["file"]), "op": r["op"], "ranges": r["ranges"],
                        "url_chars": r["url_chars"], "body_bytes": r["body_bytes"],
                        "response_bytes": r["response_bytes"]} for r in records if r["op"] in BATCH_GETS],
        "biggest_request": None if biggest is None else {
            "op": biggest["op"], "file": names.get(biggest["file"], biggest["file"]),
            "body_bytes": biggest["body_bytes"]},
        "longest_url": None if longest is None else {
            "op": longest["op"], "file": names.get(longest["file"], longest["file"]),
            "url_chars": longest["url_chars"]},
        "biggest_response_bytes": max((r["response_bytes"] for r in records), default=0),
    }


def targets(stages: dict[str, dict[str, Any]], due: int) -> list[dict[str, Any]]:
    """Each target, measured, with a verdict."""
    out = []
    for stage, workbook in (("schedule", "schedule"), ("sheets", "count sheets"), ("ingest", "results")):
        ops = _counts(stages[stage]["by_file"].get(workbook, {}))
        create = sum(n for op, n in ops.items() if op in CREATE_OPS)
        batches = ops.get("spreadsheets.batchUpdate", 0)
        bodies = [b for b in stages[stage]["batch_updates"] if b["file"] == workbook]
        out.append({
            "target": f"{workbook} created in <= {CREATE_TARGET} requests (create + batchUpdate), sharing aside",
            "stage": stage, "measured": create + batches,
            "detail": f"{create} create + {batches} batchUpdate ({_bodies(bodies)}); "
                      f"sharing: {ops.get('drive.permissions.create', 0)} permissions.create",
            "holds": create + batches <= CREATE_TARGET,
            # "(payload chunking aside)": one create and one batchUpdate that chunked() split by size
            "chunking_aside": "yes" if create == 1 and batches == 1 else
                              f"yes: 1 create + 1 batchUpdate split in {batches} by payload"
                              + ("; but a part is over Google's 10 MB limit"
                                 if any(b["body_bytes"] > HARD_LIMIT_BYTES for b in bodies) else "")
                              if create == 1 else "no",
        })
    for stage in ("ingest", "finalize"):
        ops = _counts(stages[stage]["by_file"].get("count sheets", {}))
        reads = sum(n for op, n in ops.items() if op in READ_OPS)
        gets = [g for g in stages[stage]["batch_gets"] if g["file"] == "count sheets"]
        out.append({
            "target": f"count sheets ({due:,} tabs) read back in {READ_TARGET} request", "stage": stage,
            "measured": reads,
            "detail": ", ".join(f"{n} {op}" for op, n in ops.items() if op in READ_OPS)
                      + "".join(f"; {KINDS[g['op']].split(' ')[0]} of {g['ranges']:,} ranges: URL "
                                f"{g['url_chars']:,} characters, body {_mb(g['body_bytes'])}, answer "
                                f"{_mb(g['response_bytes'])}" for g in gets),
            "holds": reads <= READ_TARGET,
        })
    for stage in ("sheets", "finalize"):
        ops = _counts(stages[stage]["by_file"].get("schedule", {}))
        reads = sum(n for op, n in ops.items() if op in READ_OPS)
        out.append({
            "target": f"(also checked) schedule read back in {READ_TARGET} request", "stage": stage,
            "measured": reads,
            "detail": ", ".join(f"{n} {op}" for op, n in ops.items() if op in READ_OPS),
            "holds": reads <= READ_TARGET,
        })
    return out


def _bodies(bodies: list[dict[str, Any]]) -> str:
    """'103 bodies 0.96-1.97 MB, 197.4 MB in all' or '1.09 MB'."""
    sizes = [b["body_bytes"] for b in bodies]
    if not sizes:
        return "none"
    if len(sizes) == 1:
        return _mb(sizes[0])
    return f"bodies {_mb(min(sizes))} to {_mb(max(sizes))}, {_mb(sum(sizes))} in all"


def observations(data: dict[str, Any]) -> list[str]:
    """What the numbers say about real Google, beyond the targets (the fake enforces neither the
    payload limits, nor a URL length, nor the per-minute quota)."""
    notes = []
    for stage, s in data["stages"].items():
        for b in s["batch_updates"]:
            if b["body_bytes"] > HARD_LIMIT_BYTES:
                notes.append(f"- {stage}: a batchUpdate of the {b['file']} sends {_mb(b['body_bytes'])} in "
                             f"{b['sub_requests']:,} sub-request(s), over the {HARD_LIMIT_BYTES:,} bytes Google "
                             "accepts in one request (it answers 400 \"Request payload size exceeds the limit\"); "
                             + ("a single sub-request, which the chunking cannot split." if b["sub_requests"] == 1
                                else "the chunking did not keep it under the limit."))
        over = [b for b in s["batch_updates"] if ADVISED_BYTES < b["body_bytes"] <= HARD_LIMIT_BYTES]
        if over:
            notes.append(f"- {stage}: {len(over)} batchUpdate(s) over Google's advised 2 MB "
                         f"(largest {_mb(max(b['body_bytes'] for b in over))}).")
        if s["sheets_writes"] > QUOTA_PER_MINUTE:
            notes.append(f"- {stage}: {s['sheets_writes']} Sheets API write requests, over the quota of "
                         f"{QUOTA_PER_MINUTE} a minute per user: against Google the stage spreads over at least "
                         f"{-(-s['sheets_writes'] // QUOTA_PER_MINUTE)} minutes of quota (HTTP 429 and backoff "
                         f"after the first {QUOTA_PER_MINUTE}).")
        for g in s["batch_gets"]:
            if g["url_chars"] > 8_000:
                notes.append(f"- {stage}: the values:batchGet of the {g['file']} ({g['ranges']:,} ranges in the "
                             f"query string) has a URL of {g['url_chars']:,} characters; the fake accepts any "
                             "length, Google documents no limit and long batchGet URLs are reported to fail.")
    return notes


def within_limits(data: dict[str, Any]) -> list[str]:
    """What holds against real Google's limits, stage by stage (the counterpart of observations())."""
    lines = []
    for stage, s in data["stages"].items():
        biggest = s["biggest_request"]["body_bytes"] if s["biggest_request"] else 0
        budget = (f" (cyclekit's MAX_PAYLOAD: {data['max_payload_setting']:,} bytes; Google advises "
                  f"{ADVISED_BYTES / 1e6:g} MB, refuses over {HARD_LIMIT_BYTES:,})")
        parts = [f"largest request body {_mb(biggest)}" + (budget if biggest <= ADVISED_BYTES else ""),
                 f"longest URL {s['longest_url']['url_chars']:,} characters" if s["longest_url"] else "",
                 f"{s['sheets_writes']} Sheets API writes and {s['sheets_reads']} reads"
                 + (f" (within the {QUOTA_PER_MINUTE} a minute quota)"
                    if max(s["sheets_writes"], s["sheets_reads"]) <= QUOTA_PER_MINUTE else "")]
        lines.append(f"- {stage}: " + "; ".join(p for p in parts if p) + ".")
    return lines


def _counts(ops: dict[str, dict[str, int]]) -> dict[str, int]:
    return {op: entry["requests"] for op, entry in ops.items()}


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.2f} MB" if n >= 100_000 else f"{n / 1000:.1f} kB"


def measure(scale: float, work: Path, *, quiet: bool = False) -> dict[str, Any]:
    info = plant.generate(work / "plant", scale)
    cycle = work / "cycle"
    if cycle.exists():
        import shutil

        shutil.rmtree(cycle)
    config = load_config(work / "plant" / "cyclekit.toml")
    fake = MeteredFake()
    stages: dict[str, dict[str, Any]] = {}
    names: dict[str, str] = {}  # file id -> schedule / count sheets / results
    source = ROOT / "cyclekit"
    digest_before = bench_run.source_digest(source)

    def name_files() -> None:
        for file_id, record in fake.files.items():
            if file_id not in names and file_id in fake.spreadsheets:
                title = record["name"]
                names[file_id] = ("count sheets" if title.startswith("Count sheets") else
                                  "results" if "result" in title.lower() else
                                  "schedule backup" if title.startswith("Schedule before") else
                                  "schedule" if "schedule" in title.lower() or not names else title)

    @contextlib.contextmanager
    def watch(stage: str) -> Iterator[None]:
        first = len(fake.meter)
        if not quiet:
            print(f"  {stage} ...", flush=True)
        started = time.perf_counter()
        yield
        wall = time.perf_counter() - started
        name_files()
        stages[stage] = stage_summary(fake.meter[first:], wall, names)

    started = time.perf_counter()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed if quiet else sys.stdout):
        costs = demo_gsheets.run(work / "cycle", inventory=work / "plant" / "inventory.csv",
                                 locations=work / "plant" / "locations.csv", config=config,
                                 as_of=dt.date.fromisoformat(info["as_of"]), targets=("generic",),
                                 fake=fake, watch=watch)
    elapsed = time.perf_counter() - started
    manifest = json.loads((cycle / "manifest.json").read_text(encoding="utf-8"))
    tabs = len(manifest["google"]["count_sheets"]["tabs"])
    if tabs != info["locations_due"]:
        raise SystemExit(f"expected {info['locations_due']} count tabs, the cycle has {tabs}")
    for stage, cost in zip(stages, costs.values(), strict=True):  # the demo's own count agrees
        assert (stages[stage]["reads"], stages[stage]["writes"]) == (cost["reads"], cost["writes"]), stage
    digest_after = bench_run.source_digest(source)
    return {
        "scale": scale, "plant": info, "count_tabs": tabs,
        "owners_shared_with": len({r["owner_email"] for r in manifest["locations"] if r.get("owner_email")}),
        "stages": stages, "targets": targets(stages, tabs),
        "elapsed_s": round(elapsed, 1),
        "max_payload_setting": MAX_PAYLOAD,
        "cyclekit_source": dict(digest_before, changed_during_run=digest_after["sha256"] != digest_before["sha256"]),
    }


def summary(data: dict[str, Any]) -> dict[str, Any]:
    """The headline numbers of a run, kept in the next run's report to compare with."""
    return {"date": data.get("date"), "cyclekit_source": data["cyclekit_source"]["sha256"], "stages": {
        stage: {"requests": s["requests"], "sheets_writes": s["sheets_writes"], "sheets_reads": s["sheets_reads"],
                "batch_updates": len(s["batch_updates"]),
                "batch_update_bytes": sum(b["body_bytes"] for b in s["batch_updates"]),
                "biggest_body_bytes": s["biggest_request"]["body_bytes"] if s["biggest_request"] else 0,
                "longest_url_chars": s["longest_url"]["url_chars"] if s["longest_url"] else 0,
                "wall_s": s["wall_s"]}
        for stage, s in data["stages"].items()}}


def previous_summary(path: Path, scale: float) -> dict[str, Any] | None:
    """The headline numbers of the report about to be replaced, when it measured the same scale."""
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if old.get("scale") != scale:
        return None
    return summary(old)


TITLES = {
    "schedule": "schedule: `api.write_schedule(..., google=...)` (schedule workbook created in the folder, "
                "shared with the owners)",
    "sheets": "sheets: `start_cycle(google:SCHEDULE, ...)` (schedule read back; count sheets created, a tab per "
              "due location, shared with the counters)",
    "ingest": "ingest: `ingest_cycle(..., results_to_google=True)` (count sheets read back; results workbook "
              "created)",
    "finalize": "finalize: `finalize_cycle(..., google:SCHEDULE)` (count sheets, results and schedule read back; "
                "schedule copied, then regenerated in place)",
}


def render(data: dict[str, Any]) -> str:
    m, p = data["machine"], data["plant"]
    lines = [f"### Google Sheets requests per stage (from the offline fake) for a {data['count_tabs']:,}-location "
             "cycle", "",
             f"Plant at scale {data['scale']:g}: {p['lines']:,} inventory lines in {p['locations']:,} locations; "
             f"{data['count_tabs']:,} due ({p['lines_due']:,} lines), one count spreadsheet with a tab each; "
             f"{data['owners_shared_with']} owners. Every request is gspread's real HTTP request, answered by "
             "tests/sheets_fake.py, which checked each one against Google's Sheets v4 discovery document. "
             "Body sizes are the bytes sent; times are wall clock in this process, of which \"in fake\" is "
             "the fake answering (validation, applying, rendering).", "",
             f"Measured {data['date']} on {m['cpu']} ({m['usable_cores']} usable cores, {m['ram_gib']} GiB), "
             f"Python {m['python']}, gspread {data['versions']['gspread']}; cyclekit source digest "
             f"{data['cyclekit_source']['sha256']}"
             + (" **(changed during the run)**" if data["cyclekit_source"]["changed_during_run"] else "")
             + f". Whole run {data['elapsed_s']:.0f} s. Reproduce: `{data['command']}` "
             "(or `make bench-gsheets`).", ""]
    for stage, s in data["stages"].items():
        lines += [f"**{TITLES[stage]}**: {s['requests']} requests ({s['writes']} write, {s['reads']} read; "
                  f"Sheets API: {s['sheets_writes']} write, {s['sheets_reads']} read), {s['wall_s']:.1f} s "
                  f"({s['fake_s']:.1f} s answering in the fake, {s['wall_s'] - s['fake_s']:.1f} s in cyclekit and "
                  "gspread)", "",
                  "| request kind | workbook | requests | biggest body | longest URL |",
                  "| --- | --- | ---: | ---: | ---: |"]
        for file, ops in s["by_file"].items():
            for op, e in ops.items():
                body = e["max_body_bytes"]
                lines.append(f"| {KINDS.get(op, op)} | {file} | {e['requests']} | {_mb(body) if body else '-'} | "
                             f"{e['max_url_chars']:,} |")
        lines.append(f"| **total** | | **{s['requests']}** | {_mb(s['biggest_request']['body_bytes'])} "
                     f"({s['biggest_request']['op']}) | {s['longest_url']['url_chars']:,} |")
        for file in dict.fromkeys(b["file"] for b in s["batch_updates"]):
            mine = [b for b in s["batch_updates"] if b["file"] == file]
            lines += ["", f"batchUpdate of the {file}: {len(mine)} request(s), {_bodies(mine)}, "
                      f"{sum(b['sub_requests'] for b in mine):,} sub-requests"
                      + (f" (the biggest body holds {max(mine, key=lambda b: b['body_bytes'])['sub_requests']:,})"
                         if len(mine) > 1 else "") + "."]
        lines.append("")
    lines += ["**Targets**", "", "| target | stage | requests | holds | payload chunking set aside | detail |",
              "| --- | --- | ---: | --- | --- | --- |"]
    for t in data["targets"]:
        lines.append(f"| {t['target']} | {t['stage']} | {t['measured']} | {'yes' if t['holds'] else '**no**'} | "
                     f"{t.get('chunking_aside', '')} | {t['detail']} |")
    previous = data.get("previous")
    if previous:
        now = summary(data)["stages"]
        lines += ["", f"**Against the previous measurement** ({previous['date']}, cyclekit source digest "
                  f"{previous['cyclekit_source']})", "",
                  "| stage | requests | Sheets API writes | batchUpdates | batchUpdate bytes | biggest body | "
                  "longest URL | wall time |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for stage, n in now.items():
            o = previous["stages"].get(stage)
            if o:
                lines.append(
                    f"| {stage} | {o['requests']} -> {n['requests']} | {o['sheets_writes']} -> {n['sheets_writes']} | "
                    f"{o['batch_updates']} -> {n['batch_updates']} | {_mb(o['batch_update_bytes'])} -> "
                    f"{_mb(n['batch_update_bytes'])} | {_mb(o['biggest_body_bytes'])} -> "
                    f"{_mb(n['biggest_body_bytes'])} | {o['longest_url_chars']:,} -> {n['longest_url_chars']:,} | "
                    f"{o['wall_s']:.0f} s -> {n['wall_s']:.0f} s |")
        refused = [stage for stage, o in previous["stages"].items() if o["biggest_body_bytes"] > HARD_LIMIT_BYTES]
        if refused:
            lines += ["", "Before, " + ", ".join(refused) + f" sent a request over the {HARD_LIMIT_BYTES:,} bytes "
                      "Google accepts: fewer requests, but one Google would have refused (400)."]
    notes = observations(data)
    lines += ["", "**Beyond the targets** (what the fake does not enforce: Google's payload limits, URL "
              "length, the per-minute quota)", "", *within_limits(data)]
    if notes:
        lines += ["", "Over a limit:", "", *notes]
    else:
        lines += ["", "No request is over Google's payload guidance, the URL length or the per-minute quota."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="1 = 200,000 lines / 4,000 locations / 1,000 due (default 1)")
    parser.add_argument("--out", type=Path, default=None, help="work folder (default benchmarks/out/gsheets-SCALE)")
    parser.add_argument("--report", type=Path, default=None,
                        help="where gsheets_requests.md/.json go (default: benchmarks/ at scale 1, else the work "
                             "folder)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    work = (args.out or BENCH / "out" / f"gsheets-{args.scale:g}").resolve()
    report = (args.report or (BENCH if args.scale == 1 else work)).resolve()
    work.mkdir(parents=True, exist_ok=True)
    print(f"Google Sheets requests at scale {args.scale:g} (work folder {work})", flush=True)
    data = measure(args.scale, work, quiet=args.quiet)
    data["date"] = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    data["command"] = "python benchmarks/gsheets_requests.py" + "".join(
        f" {a}" for a in (sys.argv[1:] if argv is None else argv))
    data["machine"] = bench_run.machine()
    from importlib.metadata import version

    data["versions"] = {name: version(name) for name in ("gspread", "google-auth", "requests")}
    report.mkdir(parents=True, exist_ok=True)
    data["previous"] = previous_summary(report / f"{REPORT_NAME}.json", data["scale"])
    (report / f"{REPORT_NAME}.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    (report / f"{REPORT_NAME}.md").write_text(render(data), encoding="utf-8")
    for stage, s in data["stages"].items():
        print(f"  {stage:>8}: {s['requests']:3d} requests {dict(s['by_kind'])}, biggest body "
              f"{_mb(s['biggest_request']['body_bytes'])}, {s['wall_s']:.1f} s ({s['fake_s']:.1f} s in the fake)")
    for t in data["targets"]:
        print(f"  {'OK ' if t['holds'] else 'NO '} {t['target']} [{t['stage']}]: {t['measured']} ({t['detail']})")
    print(f"done in {data['elapsed_s']:.0f} s: {report / (REPORT_NAME + '.md')}, {report / (REPORT_NAME + '.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
