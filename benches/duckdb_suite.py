#!/usr/bin/env python3
"""Runs the query files through DuckDB, unchanged, to prove they are portable SQL and to
time them against cwsw's DataFusion engine.

Rerun with:
  python3 benches/duckdb_suite.py --warehouse W --queries queries --out DIR \
      [--years 2018/19..2024/25] [--compare MEASURES_DIR] [--memory-limit 4GB] [--threads N]

As `cwsw run` does: every warehouse table (a folder of Parquet parts, or a *.parquet file)
becomes a view; each cohort-kind query runs for every year and the union of those with
the same `table:` (default `cohort`) is materialised under that name (in DIR/suite.duckdb,
deleted at the end; --database :memory: keeps it in memory), a table after the cohort
tables its queries read (`cohort_pupils` after `cohort` and `pupil_years`); then each measure
runs for every year with the parameters its header declares, bound as DuckDB named
parameters. Writes DIR/<measure>.csv and DIR/timings.csv (query,seconds,peak_rss_bytes:
seconds summed over years, peak RSS the highest of any year; the kernel's peak is reset
before each query). A query DuckDB rejects is reported with its file and error, not
rewritten. --compare checks each measure against cwsw's MEASURES_DIR/<measure>.csv: the
same rows keyed by the non-float columns, floats equal within 1e-9 relative, empty and
`x` read as NULL. Exits 1 if any query failed or any comparison did.
"""
import argparse
import collections
import csv
import datetime
import math
import re
import sys
import time
from pathlib import Path

import duckdb
import yaml

FLOAT = "float64"


def year_parameters(s):
    """Parameter values for the academic year starting in year s, as the engine's
    year_parameters (crates/engine/src/lib.rs) binds them."""
    d = datetime.date
    return {"academic_year": s * 100 + (s + 1) % 100, "census_year": s + 1,
            "reference_date": d(s + 1, 3, 31), "period_start": d(s, 4, 1),
            "year_start": d(s, 8, 1), "year_end": d(s + 1, 7, 31),  # AcademicYear::first_day, last_day
            "census_date": third_thursday_of_january(s + 1),  # AcademicYear::spring_census_day
            "compulsory_birth_from": d(s - 16, 9, 1), "compulsory_birth_to": d(s - 5, 8, 31),
            "lookback_census_year": s + 1 - 5, "lookback_start": d(s - 5, 4, 1),
            # Lookback::DFE, six years, and the labels that follow from it
            "lookback_years": 6, "ever_cin_group": "Ever CIN - last 6 years",
            "never_cin_group": "Never CIN - last 6 years", "ever_cwsw_group": "Ever 6 CWSW",
            "cin_plans_from": 2022}


def third_thursday_of_january(year):
    """The spring school census day (DfE calendar): the third Thursday of January."""
    first = datetime.date(year, 1, 1)
    return first + datetime.timedelta(days=(3 - first.weekday()) % 7 + 14)


def parse_years(text):
    """'2018/19..2024/25' -> [2018, ..., 2024]."""
    first, _, last = text.partition("..")
    return list(range(int(first[:4]), int((last or first)[:4]) + 1))


def read_query(path):
    """A query file's header (the YAML in its leading `--` lines, up to a bare `--` that
    opens prose notes) and its SQL text."""
    text = path.read_text()
    lines = []
    for line in text.splitlines():
        if not line.startswith("--") or line.rstrip() == "--":
            break
        body = line[2:]
        lines.append(body[1:] if body.startswith(" ") else body)
    try:
        header = yaml.safe_load("\n".join(lines)) or {}
    except yaml.YAMLError as error:  # reported like a query error; the file is skipped
        return {"path": path, "name": path.stem, "kind": None, "header_error": str(error).replace("\n", " ")}

    def declared(section):  # {name: 'type, description'} -> [(name, type)]
        return [(name, str(v).split(",")[0].strip()) for name, v in (header.get(section) or {}).items()]

    return {"path": path, "name": header.get("name", path.stem), "kind": header.get("kind"),
            "table": header.get("table", "cohort"), "once": bool(header.get("once")), "parameters": [n for n, _ in declared("parameters")],
            "output": declared("output"), "sql": text}


def rss():
    """(current, peak) resident set size in bytes, from /proc/self/status."""
    fields = dict(line.split(":", 1) for line in open("/proc/self/status"))
    return (int(fields["VmRSS"].split()[0]) * 1024, int(fields["VmHWM"].split()[0]) * 1024)


def reset_peak():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def cell(value):
    """A value as cwsw's CSV writes it: nulls empty, booleans true/false, floats round-trip."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return value.isoformat() if isinstance(value, datetime.date) else str(value)


def normalise(value, column_type):
    """A CSV cell or a DuckDB value as a comparable Python value (None for NULL)."""
    if value is None or (isinstance(value, str) and value in ("", "x", "z")):
        return None
    if column_type == FLOAT:
        return float(value)
    if column_type in ("int32", "int64"):
        return int(value) if not isinstance(value, str) else int(float(value)) if "." in value else int(value)
    if column_type == "boolean":
        return value if isinstance(value, bool) else value.strip().lower() == "true"
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def close(a, b):
    if a is None or b is None:
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b))


def compare(query, names, rows, cwsw_csv, show=5):
    """Compares DuckDB's rows with cwsw's CSV; returns a list of difference lines."""
    if not cwsw_csv.exists():
        return [f"no {cwsw_csv}"]
    types = dict(query["output"])
    with open(cwsw_csv, newline="") as f:
        reader = csv.reader(f)
        theirs_names = next(reader)
        theirs = list(reader)
    if [n.lower() for n in theirs_names] != [n.lower() for n in names]:
        return [f"columns differ: cwsw {theirs_names}, duckdb {names}"]
    types = {n.lower(): t for n, t in types.items()}
    kinds = [types.get(n.lower(), "string") for n in names]
    keys = [i for i, t in enumerate(kinds) if t != FLOAT]
    floats = [i for i, t in enumerate(kinds) if t == FLOAT]

    def index(table):
        grouped = collections.defaultdict(list)
        for row in table:
            row = [normalise(v, t) for v, t in zip(row, kinds)]
            grouped[tuple(row[i] for i in keys)].append(tuple(row[i] for i in floats))
        for values in grouped.values():
            values.sort(key=lambda t: tuple((v is None, v or 0.0) for v in t))
        return grouped

    # cwsw completes the matrix after the SQL: a group the returns do not support (or a
    # year not collected) is one all-`x` headline row, an empty supported group a row of
    # zeros. Set those aside on both sides; every other row must match.
    year, group = (names.index(n) for n in ("academic_year", "social_care_group"))
    # A zero row is one whose counts are all 0: exclusions can count pupils over no
    # pupil on the January roll (t_pupils 0), and such a row is the SQL's own.
    counts = [i for i, t in enumerate(kinds) if t in ("int32", "int64") and i != year]
    # The count an all-`x` row shows x in: t_pupils, or a measure's first count
    # (coverage's t_children).
    pupils = names.index("t_pupils") if "t_pupils" in names else counts[0]
    completed = {(r[year], r[group]) for r in theirs if r[pupils] == "x"}
    theirs = [r for r in theirs if r[pupils] != "x" and any(r[i] not in ("0", "") for i in counts)]
    rows = [r for r in rows if (str(r[year]), r[group]) not in completed]
    # A column not collected in a year (KS4 Progress 8) is `x` in every cwsw row of it.
    x_cells = {(r[year], i) for r in theirs for i, v in enumerate(r) if v == "x"}
    rows = [[None if (str(r[year]), i) in x_cells else v for i, v in enumerate(r)] for r in rows]
    ours, cwsw = index(rows), index(theirs)
    diffs = []
    label = [names[i] for i in keys] + [names[i] for i in floats]
    for key in sorted(set(ours) | set(cwsw), key=repr):
        a, b = ours.get(key, []), cwsw.get(key, [])
        if len(a) == len(b) and all(close(x, y) for ra, rb in zip(a, b) for x, y in zip(ra, rb)):
            continue
        diffs.append(f"{dict(zip(label, key))}: duckdb {a or 'missing'} | cwsw {b or 'missing'}")
    if len(ours) + len(cwsw) and diffs:
        diffs.insert(0, f"{len(diffs)} differing keys of {len(set(ours) | set(cwsw))} (float columns: "
                        f"{[names[i] for i in floats]})")
    return diffs[:show + 1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--warehouse", required=True, type=Path)
    ap.add_argument("--queries", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--years", default="2018/19..2024/25")
    ap.add_argument("--compare", type=Path, help="cwsw's measures folder")
    ap.add_argument("--memory-limit", help="DuckDB memory_limit, e.g. 4GB")
    ap.add_argument("--threads", type=int)
    ap.add_argument("--database", default="suite.duckdb",
                    help="DuckDB file under --out holding the cohort tables (deleted after), or :memory:")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.time()

    # The cohort tables live in a database file: DuckDB stores them compressed and can
    # evict them under its memory limit (an in-memory database spills them uncompressed:
    # at 8.5M pupils that filled 25 GB of temp space and still ran out of memory).
    database = args.database if args.database == ":memory:" else args.out / args.database
    if database != ":memory:":
        for stale in (database, Path(f"{database}.wal")):
            stale.unlink(missing_ok=True)
    con = duckdb.connect(str(database))
    con.execute(f"SET temp_directory = '{args.out / '.duckdb-tmp'}'; SET preserve_insertion_order = false")
    if args.memory_limit:
        con.execute(f"SET memory_limit = '{args.memory_limit}'")
    if args.threads:
        con.execute(f"SET threads = {args.threads}")
    for path in sorted(args.warehouse.iterdir()):
        if path.is_dir() and any(path.glob("*.parquet")):
            con.execute(f"CREATE VIEW \"{path.name}\" AS SELECT * FROM read_parquet('{path}/*.parquet')")
        elif path.suffix == ".parquet":
            con.execute(f"CREATE VIEW \"{path.stem}\" AS SELECT * FROM read_parquet('{path}')")

    # Cohorts first, then measures, each sorted by path (as the engine orders them).
    queries = [read_query(p) for sub in ("cohorts", "measures")
               for p in sorted((args.queries / sub).glob("*.sql"))]
    years = parse_years(args.years)
    timings, errors, failures = [], [], []
    for query in queries:
        if "header_error" in query:
            errors.append((query, None, f"header is not YAML: {query['header_error']}"))
            print(f"  ERROR {query['path']}: header is not YAML: {query['header_error']}")
    peak_all = 0

    def run(query, year, action):
        """Runs one query for one year, timing it; returns action's result or None."""
        nonlocal peak_all
        params = {n: year_parameters(year)[n] for n in query["parameters"]}
        reset_peak()
        t = time.perf_counter()
        try:
            result = action(query["sql"], params)
        except duckdb.Error as error:
            errors.append((query, year, error))
            print(f"  ERROR {query['path']} ({year}/{(year + 1) % 100:02d}): "
                  f"{type(error).__name__}: {error}", flush=True)
            return None
        finally:
            seconds = time.perf_counter() - t
            peak = rss()[1]
            peak_all = max(peak_all, peak)
            query["seconds"] = query.get("seconds", 0.0) + seconds
            query["peak"] = max(query.get("peak", 0), peak)
        return result

    def report(query, extra=""):
        timings.append((query["name"], query.get("seconds", 0.0), query.get("peak", 0)))
        print(f"{query['kind']:8} {query['name']:32} {query.get('seconds', 0):8.2f} s  "
              f"peak RSS {query.get('peak', 0) / 2**20:8.0f} MB  {extra}", flush=True)

    # Cohort queries, a table at a time, each after the cohort tables its queries read
    # (as the engine orders them): every year's rows go into a staging table, renamed to
    # the `table:` name once all of its queries have run.
    cohorts = [q for q in queries if q["kind"] == "cohort"]
    made_here = {q["table"] for q in cohorts}
    reads, parser = {}, duckdb.connect()
    for query in cohorts:
        # DuckDB's parser names the tables (not the CTEs); placeholders cannot be parsed.
        # (A connection of its own: this one would be left with an unfinished result.)
        names = parser.get_table_names(re.sub(r"\$\w+", "NULL", query["sql"]))
        reads.setdefault(query["table"], set()).update(names & made_here - {query["table"]})
    order, done = [], set()
    while len(order) < len(reads):
        ready = [t for t in dict.fromkeys(q["table"] for q in cohorts)
                 if t not in done and reads[t] <= done]
        if not ready:
            sys.exit(f"cohort tables read each other in a cycle: {sorted(set(reads) - done)}")
        order.append(ready[0])
        done.add(ready[0])
    for table in order:
        staging = f"_staging_{table}"
        staged = False
        for query in (q for q in cohorts if q["table"] == table):
            failed = False
            # A query of the whole run (once: true, persons) runs one time.
            for year in (years[:1] if query["once"] else years):
                def materialise(sql, params):
                    nonlocal staged
                    relation = con.sql(sql, params=params)
                    if staged:
                        relation.insert_into(staging)
                    else:
                        relation.create(staging)
                    staged = True
                    return True

                failed |= run(query, year, materialise) is None
            report(query, "FAILED" if failed else "")
        if staged:
            con.execute(f'ALTER TABLE "{staging}" RENAME TO "{table}"')
            n = con.execute(f'SELECT count(*) FROM "{table}"').fetchall()[0][0]
            print(f"  table {table}: {n:,} rows")

    # Measures: every year, fetched to Python, written as CSV, compared with cwsw's.
    for query in (q for q in queries if q["kind"] == "measure"):
        names, rows = None, []
        for year in years:
            def fetch(sql, params):
                cursor = con.execute(sql, params)
                return [d[0] for d in cursor.description], cursor.fetchall()

            result = run(query, year, fetch)
            if result:
                names = result[0]
                rows.extend(result[1])
        declared = [n for n, _ in query["output"]]
        status = ""
        if names is not None:
            with open(args.out / f"{query['name']}.csv", "w", newline="") as f:
                writer = csv.writer(f, lineterminator="\n")
                writer.writerow(names)
                writer.writerows([cell(v) for v in row] for row in rows)
            # DuckDB's identifiers are case-insensitive (it keeps an alias's case), so only
            # a difference beyond case is an error.
            if [n.lower() for n in names] != [n.lower() for n in declared]:
                status = f"COLUMNS differ from the header: {names} vs {declared}"
                errors.append((query, None, status))
            elif names != declared:
                status = "(column names match the header only ignoring case)"
        report(query, f"{len(rows)} rows {status}")
        if args.compare:
            failed = any(e[0] is query for e in errors)
            diffs = (["query failed in DuckDB"] if failed else
                     compare(query, names, rows, args.compare / f"{query['name']}.csv"))
            print(f"  {'FAIL' if diffs else 'PASS'} {query['name']}")
            for line in diffs:
                print(f"    {line}")
            if diffs:
                failures.append(query["name"])

    con.close()
    if database != ":memory:":
        for done in (database, Path(f"{database}.wal")):
            done.unlink(missing_ok=True)
    with open(args.out / "timings.csv", "w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([("query", "seconds", "peak_rss_bytes")] + timings)
    print(f"total {time.time() - started:.1f} s, peak RSS {peak_all / 2**20:.0f} MB, "
          f"{len(queries)} queries x {len(years)} years")
    if errors:
        print("\nDuckDB errors:")
        for query, year, error in errors:
            print(f"  {query['path']}{'' if year is None else f' ({year})'}: {error}")
    if failures:
        print(f"\nFAIL: {', '.join(failures)}")
    sys.exit(1 if errors or failures else 0)


if __name__ == "__main__":
    main()
