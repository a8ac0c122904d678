#!/usr/bin/env python3
"""National-scale synthetic warehouse, written straight to Parquet with DuckDB SQL.

Rerun with:  python3 benches/national.py OUT_DIR [--pupils 8500000] [--years 7] [--seed 1]
             [--memory-limit 8GB] [--threads 2]

Every table of data-dictionary/warehouse/*.yaml is written as OUT/<table>/part-NNNNN.parquet
with exactly the declared column names, order and types (ledger and rejects are written
empty, as OUT/ledger.parquet and OUT/rejects.parquet, where `cwsw extract` puts them).
OUT/national.json, written last, records the arguments and the rows per table; it marks
a finished warehouse (benches/queries.sh reuses a folder only when it is there).

The model, per year about PUPILS pupils in Reception..Year 12 (Year 12 at 60%):
  * a pupil belongs to the birth cohort that starts Reception in year k; in year s it is
    in nc_year s-k. Pupils are generated once (table `pupils`); every other table is
    derived from them with hash-based random numbers u(key, salt), so the same seed gives
    the same rows whatever the thread order.
  * pupil_terms: three terms per pupil-year (possible sessions 130/120/130, absence
    ~7% with a long tail, higher for children with a social worker), ~6% school moves
    (an extra no-longer-on-roll row), no attendance for Y12, Reception summer and the
    2019/20 spring and summer terms (not collected); entry and leaving dates, and next
    year's Reception already listed (entry after the year) by the autumn census.
  * social care: ~16% of pupils (plus 25% more children with no school record) have CIN
    episodes, so ~3% of pupils are CIN at 31 March, ~0.4% on a child protection plan and
    ~0.8% looked after (calibrated with duckdb_suite.py over --pupils 200000); episodes appear
    in every census (collection) year they overlap, with closure/end dates only once
    they are past that year's 31 March, as in a real return.
  * exclusions ~3% of pupils suspended and ~0.1% permanently excluded a year; KS2 for
    Year 6 (not 2019/20, 2020/21), KS4 for Year 11; SEN K/E ~15%; FSM ~30% ever (~19% at a
    spring census); EHE ~0.5%.
Codes follow the LA warehouse from `cwsw extract` and the code lists. pupil_id and
child_id are 32 hex digits, as the extract writes them (a truncated HMAC-SHA256).
At 8.5M pupils: ~318M rows, 3.4 GB, ~5 min and ~7.7 GB peak RSS on 2 cores.
"""
import argparse
import datetime
import json
import os
import shutil
import time
from pathlib import Path

import duckdb
import yaml

REPO = Path(__file__).resolve().parent.parent
DICTIONARY = REPO / "data-dictionary" / "warehouse"
DUCK_TYPES = {"string": "VARCHAR", "int32": "INTEGER", "int64": "BIGINT",
              "float64": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE"}


def schema(table):
    """[(column, DuckDB type)] in the order the data dictionary declares them."""
    spec = yaml.safe_load((DICTIONARY / f"{table}.yaml").read_text())
    return [(c["name"], DUCK_TYPES[c["type"]]) for c in spec["columns"]]


def weighted(u, weights):
    """SQL CASE picking a code from {code: weight} by the uniform column `u`."""
    total, acc, arms = sum(weights.values()), 0.0, []
    for code, weight in list(weights.items())[:-1]:
        acc += weight / total
        arms.append(f"WHEN {u} < {acc:.6f} THEN '{code}'")
    return f"(CASE {' '.join(arms)} ELSE '{list(weights)[-1]}' END)"


# Code distributions, from the LA warehouse and the code lists.
ETHNICITY = {"WBRI": 67, "WOTH": 6, "BAFR": 4, "APKN": 4, "AIND": 3, "MWBC": 2, "MOTH": 2,
             "OOTH": 2, "ABAN": 1.5, "AOTH": 1.5, "MWBA": 1, "BCRB": 1, "MWAS": 1, "REFU": 1,
             "WIRI": 0.6, "WROM": 0.5, "NOBT": 0.5, "CHNE": 0.5, "BOTH": 0.5, "WIRT": 0.2}
SEN_TYPE = {"SLCN": 25, "SEMH": 21, "MLD": 14, "ASD": 14, "SPLD": 12, "OTH": 3.4, "NSA": 2.3,
            "PD": 2.2, "SLD": 2, "HI": 1.1, "PMLD": 1.1, "VI": 1.1, "MSI": 0.5}
EXCLUSION_REASON = {"DB": 48, "PP": 11, "PA": 9, "VP": 6, "VA": 3.3, "BU": 3.2, "DA": 3.1,
                    "OW": 2.3, "DM": 2.3, "OT": 2.1, "SM": 2.1, "RA": 2.1, "LG": 1.6,
                    "MT": 1.6, "TH": 1.1, "DS": 0.9, "PH": 0.8}
REFERRAL_SOURCE = {"9": 28, "3A": 18, "10": 12, "5A": 6, "2A": 6, "1D": 4, "3D": 3, "1A": 3,
                   "1B": 3, "4": 2, "5B": 2, "3B": 2, "3F": 2, "3C": 2, "1C": 1, "6": 1,
                   "7": 1, "2B": 1, "5C": 1, "3E": 1, "8": 1}
PRIMARY_NEED = {"N1": 56, "N5": 14, "N2": 10, "N4": 8, "N3": 3, "N9": 2, "N6": 2, "N8": 2,
                "N0": 2, "N7": 1}
CLOSURE_REASON = {"RC8": 54, "RC7": 31, "RC5": 5, "RC9": 5, "RC3": 2.5, "RC6": 1.5,
                  "RC4": 0.9, "RC1": 0.5}
ABUSE = {"NEG": 50, "EMO": 35, "PHY": 7, "MUL": 4, "SAB": 4}
FACTORS = ["1A", "1B", "2A", "2B", "3A", "3B", "3C", "4A", "4B", "5A", "5B", "5C", "6A",
           "6B", "7A", "8B", "8C", "8D", "8E", "8F", "9A", "10A", "11A", "12A", "13A", "14A",
           "15A", "16A", "17A", "18B", "18C", "19A", "19B", "19C", "20", "21", "22A", "23A",
           "24A"]
DISABILITY = {"NONE": 89, "LD": 5, "AUT": 2, "BEH": 1, "COMM": 1, "MOB": 0.5, "HAND": 0.3,
              "PC": 0.4, "HEAR": 0.3, "VIS": 0.3, "CON": 0.2}
LEGAL_STATUS = {"C2": 55, "C1": 17, "V2": 15, "E1": 6, "L2": 4, "J1": 3}
PLACEMENT = {"U1": 10, "U2": 10, "U3": 10, "U4": 10, "U5": 11, "U6": 11, "H5": 8, "K2": 10,
             "K3": 5, "P1": 5, "R1": 5, "S1": 3, "Z1": 2}
RNE = {"P": 45, "T": 20, "L": 15, "U": 10, "B": 10}
CEASED = {"E13": 20, "E4A": 20, "E8": 12, "E11": 6, "E45": 5, "E41": 4, "E47": 3, "E48": 3,
          "E17": 3, "E5": 3, "E3": 3, "E12": 3, "E46": 2, "E15": 2, "E7": 2, "E16": 2,
          "E9": 1, "E2": 6}
REVIEW_CODE = {"PN1": 50, "PN2": 12, "PN3": 8, "PN4": 8, "PN5": 6, "PN6": 6, "PN7": 5, "PN0": 5}
EHE_REASON = {"PHIL": 22, "SCHL": 18, "UNK": 16, "MENT": 15, "OTH": 10, "SEND": 8, "HEAL": 8,
              "EXCL": 3}
WORDS = ["Kingsmere", "Brookfield", "Castlemead", "Oakwood", "Ashdown", "Riverside", "Hillcrest",
         "Meadowbank", "St Marys", "St Johns", "Holy Trinity", "Greenfield", "Westfield",
         "Northgate", "Southview", "Elmhurst", "Fairfield", "Highfield", "Parkside", "Woodlands"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--pupils", type=int, default=8_500_000, help="pupils on roll per year")
    ap.add_argument("--years", type=int, default=7, help="academic years from 2018/19")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--memory-limit", default="8GB")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    started = time.time()
    out = Path(args.out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    tmp = out / ".duckdb-tmp"
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{args.memory_limit}'; SET threads = {args.threads};"
                f"SET temp_directory = '{tmp}'; SET preserve_insertion_order = false;")
    seed, s0, years = args.seed, 2018, args.years
    s_last = s0 + years - 1                   # start year of the last academic year
    first_day = f"DATE '{s0 - 1}-04-01'"     # start of the first CIN/SSDA903 collection year
    last_day = f"DATE '{s_last + 1}-03-31'"  # 31 March of the last collection year
    scale = args.pupils / 8_500_000
    n_la = max(1, min(153, round(153 * scale)))
    n_pri, n_sec = max(1, round(16800 * scale)), max(1, round(3450 * scale))
    n_spe, n_pru = max(1, round(1000 * scale)), max(1, round(350 * scale))
    per_cohort = round(args.pupils / 12.6)   # R..Y11 in full, Y12 at 60%
    n_cohorts = 12 + years
    rows, parts = {}, {}

    # Random numbers: u in [0,1) and standard normals z, from the hash of (key, salt, seed).
    con.execute(f"""
        CREATE MACRO u(k, salt) AS ((hash(k, salt, {seed}) >> 11)::DOUBLE / 9007199254740992.0);
        CREATE MACRO z(k, salt) AS sqrt(-2 * ln(1 - u(k, salt || 'a'))) * cos(2 * pi() * u(k, salt || 'b'));
        CREATE MACRO days(d, n) AS (d + (n)::INTEGER);
        CREATE MACRO la_code(i) AS (201 + ((i)::BIGINT % {n_la}) * 5)::VARCHAR;
        -- school number g (primaries, then secondaries, special schools, PRUs) -> LAESTAB
        CREATE MACRO laestab(g, estab) AS la_code(g) || lpad((estab + (g)::BIGINT // {n_la})::VARCHAR, 4, '0');
    """)

    def write(table, select, part=0):
        """COPY the SELECT to OUT/table/part-N.parquet, cast to the declared schema."""
        cols = ", ".join(f'CAST("{n}" AS {t}) AS "{n}"' for n, t in schema(table))
        (out / table).mkdir(exist_ok=True)
        path = out / table / f"part-{part:05d}.parquet"
        n = con.execute(f"COPY (SELECT {cols} FROM ({select})) TO '{path}' "
                        "(FORMAT parquet, COMPRESSION zstd)").fetchone()[0]
        rows[table] = rows.get(table, 0) + n
        parts.setdefault(table, []).append(path)
        print(f"  {table} part {part}: {n:,} rows ({time.time() - started:.0f}s)", flush=True)

    def empty(table, path):
        cols = ", ".join(f'CAST(NULL AS {t}) AS "{n}"' for n, t in schema(table))
        con.execute(f"COPY (SELECT {cols} LIMIT 0) TO '{path}' (FORMAT parquet, COMPRESSION zstd)")
        rows[table], parts[table] = 0, [path]

    # --- schools: primaries, secondaries, special schools, PRUs, spread over the LAs.
    print("schools, pupils", flush=True)
    con.execute(f"""
        CREATE TABLE schools AS
        WITH kinds(kind, n, base, estab, type, phase, low, high) AS (VALUES
            (0, {n_pri}, 0, 2000, 'Community school', 'Primary', 4, 11),
            (1, {n_sec}, {n_pri}, 4000, 'Academy converter', 'Secondary', 11, 18),
            (2, {n_spe}, {n_pri + n_sec}, 7000, 'Community special school', 'Not applicable', 2, 19),
            (3, {n_pru}, {n_pri + n_sec + n_spe}, 1100, 'Pupil referral unit', 'Not applicable', 11, 16))
        SELECT kind, i, base + i AS g, 100000 + base + i AS urn, la_code(base + i) AS la_code,
               laestab(base + i, estab) AS laestab,
               {WORDS}[1 + (base + i) % {len(WORDS)}] || CASE kind WHEN 0 THEN ' Primary School'
                   WHEN 1 THEN ' Academy' WHEN 2 THEN ' Special School' ELSE ' Pupil Referral Unit' END AS name,
               CASE WHEN kind = 0 AND u(base + i, 'type') < 0.4 THEN 'Academy converter'
                    WHEN kind = 1 AND u(base + i, 'type') < 0.2 THEN 'Academy sponsor led'
                    ELSE type END AS type_of_establishment,
               phase AS phase_of_education, low AS low_age, high AS high_age
        FROM kinds, range(n) t(i)""")
    write("schools", "SELECT * FROM schools")

    # --- pupils: one row per pupil ever on roll; k is the year it starts Reception.
    con.execute(f"""
        CREATE TABLE pupils AS
        WITH base AS (
            SELECT p, {s0 - 12} + p // {per_cohort} AS k, u(p, 'cin') AS ucin, u(p, 'sen') AS usen
            FROM range({per_cohort * n_cohorts}) t(p))
        SELECT p, k, left(sha256('{seed}:pupil:' || p), 32) AS pupil_id,
               (make_date(k - 5, 9, 1) + to_months(floor(u(p, 'bm') * 12)::INTEGER))::DATE AS birth_month,
               CASE WHEN u(p, 'sex') < 0.512 THEN 'M' ELSE 'F' END AS sex,
               u(p, 'y12') < 0.6 AS y12,
               pri.laestab AS pri_school, pri.urn AS pri_urn, sec.laestab AS sec_school,
               -- a third of pupils with an EHC plan at a special school; PRU places by year
               CASE WHEN usen < 0.01 THEN laestab({n_pri + n_sec} + floor(u(p, 'spe') * {n_spe}), 7000) END AS special_school,
               laestab({n_pri + n_sec + n_spe} + floor(u(p, 'pru') * {n_pru}), 1100) AS pru_school,
               sec.urn AS sec_urn, pri.la_code AS la_code,
               ucin < 0.16 AS cin,                                  -- has CIN episodes
               ucin < 0.16 AND u(p, 'cla') < 0.2 AS cla,            -- and is looked after
               u(p, 'respite') < 0.002 AS respite,                  -- short breaks (V3/V4)
               CASE WHEN usen < 0.03 THEN 'E' WHEN usen < 0.15 THEN 'K' ELSE 'N' END AS sen,
               -- absence rate: lognormal around 6.5%, doubled for children in need
               least(0.95, 0.065 * exp(0.9 * z(p, 'abs') - 0.405) * CASE WHEN ucin < 0.16 THEN 2 ELSE 1 END) AS absence,
               0.55 + 0.3 * u(p, 'auth') AS authorised_share,
               z(p, 'ability') - CASE WHEN ucin < 0.16 THEN 0.6 ELSE 0 END - CASE WHEN usen < 0.15 THEN 0.8 ELSE 0 END AS ability,
               (CASE WHEN ucin < 0.16 THEN 4 ELSE 1 END) * (CASE WHEN usen < 0.03 THEN 3 WHEN usen < 0.15 THEN 2.5 ELSE 1 END) AS exclusion_risk,
               -- FSM: half the periods start around school entry, the rest during school
               u(p, 'fsm') < 0.42 + CASE WHEN ucin < 0.16 THEN 0.3 ELSE 0 END AS fsm,
               CASE WHEN u(p, 'fsm_entry') < 0.5 THEN days(make_date(k - 1, 9, 1), u(p, 'fsm_start') * 400)
                    ELSE days(make_date(k - 1, 9, 1), u(p, 'fsm_start') * 4700) END AS fsm_start,
               (-ln(1 - u(p, 'fsm_length')) * 8 * 365)::INTEGER AS fsm_days,
               u(p, 'ehe') < 0.005 AS ehe
        FROM base
        JOIN schools pri ON pri.kind = 0 AND pri.i = floor(u(p, 'pri') * {n_pri})
        JOIN schools sec ON sec.kind = 1 AND sec.i = floor(u(p, 'sec') * {n_sec})""")

    # --- per academic year: pupil_terms, exclusions, sen_needs, fsm_periods, KS2, KS4.
    for y in range(years):
        s = s0 + y
        ay = s * 100 + (s + 1) % 100
        print(f"{s}/{(s + 1) % 100:02d}", flush=True)
        # Pupils on roll this year: nc_year g = s - k, Reception (0) to Y11, Y12 for 60%.
        on_roll = f"""SELECT *, {s} - k AS g,
                             CASE WHEN special_school IS NOT NULL THEN special_school
                                  WHEN {s} - k >= 7 AND u(p * 16 + {y}, 'in_pru') < 0.004 THEN pru_school
                                  WHEN {s} - k <= 6 THEN pri_school ELSE sec_school END AS school,
                             p * 16 + {y} AS py
                      FROM pupils WHERE k <= {s} AND (k > {s - 12} OR (k = {s - 12} AND y12))"""
        # Each term is carried by the next census: autumn by spring, spring by summer,
        # summer by the following autumn census (all in calendar year s+1).
        terms = (f"(VALUES (0, 'autumn', 130, '{s + 1} spring', DATE '{s + 1}-01-18'),"
                 f" (1, 'spring', 120, '{s + 1} summer', DATE '{s + 1}-05-16'),"
                 f" (2, 'summer', 130, '{s + 1} autumn', DATE '{s + 1}-10-03'))"
                 " t(ti, term, full_sessions, census, census_date)")
        # The day each pupil joined its school: the September it started the phase (7% up
        # to 100 days later), a PRU place during the year.
        entry = f"""CASE WHEN school = pru_school THEN days(make_date({s}, 9, 1), u(py, 'pru_entry') * 200)
                         WHEN g <= 6 OR special_school IS NOT NULL THEN days(make_date(k, 9, 2), u(p, 'pri_entry') * CASE WHEN u(p, 'pri_late') < 0.07 THEN 100 ELSE 4 END)
                         ELSE days(make_date(k + 7, 9, 2), u(p, 'sec_entry') * CASE WHEN u(p, 'sec_late') < 0.07 THEN 100 ELSE 4 END) END"""
        write("pupil_terms", f"""
            WITH r AS (
                SELECT o.*, t.*, py * 4 + ti AS pt, {entry} AS entry_date,
                       floor(u(py, 'move_term') * 3) = ti AND u(py, 'move') < 0.06 AS moved_in,
                       -- no attendance: Y12, Reception summer, 2019/20 spring and summer (COVID), 1.5% missing
                       g = 12 OR (g = 0 AND ti = 2) OR ({s} = 2019 AND ti > 0) OR u(py * 4 + ti, 'null') < 0.015 AS no_sessions
                FROM ({on_roll}) o, {terms}),
            s AS (
                SELECT *, CASE WHEN no_sessions THEN NULL WHEN u(pt, 'part') < 0.07
                               THEN 1 + floor(u(pt, 'possible') * full_sessions) ELSE full_sessions END AS possible
                FROM r),
            a AS (
                SELECT *, least(possible, round(possible * absence * (0.5 + u(pt, 'abs')))) AS absent,
                       CASE WHEN moved_in THEN u(pt, 'share') ELSE 0 END AS share FROM s),
            rows AS (   -- a move during the term splits its sessions between two schools
                SELECT pupil_id, school, census, possible - floor(possible * share) AS possible,
                       absent - floor(absent * share) AS absent, pt, authorised_share, birth_month, sex, g,
                       sen, ti, term, NOT (ti = 2 AND g IN (6, 11)) AS on_roll, entry_date,   -- left after Y6, Y11
                       CASE WHEN ti = 2 AND g IN (6, 11) THEN make_date({s + 1}, 7, 18 + floor(u(py, 'leave') * 7)::INTEGER) END AS leaving_date
                FROM a
                UNION ALL   -- the school it left: no longer on roll
                SELECT pupil_id, CASE WHEN g <= 6 THEN laestab(floor(u(pt, 'old') * {n_pri}), 2000)
                                      ELSE laestab({n_pri} + floor(u(pt, 'old') * {n_sec}), 4000) END,
                       census, floor(possible * share), floor(absent * share), pt + 3,
                       authorised_share, birth_month, sex, g, sen, ti, term, false,
                       make_date(CASE WHEN g <= 6 THEN k ELSE k + 7 END, 9, 2),
                       days([DATE '{s}-09-03', DATE '{s + 1}-01-04', DATE '{s + 1}-04-15'][ti + 1], u(pt, 'share') * 80)
                FROM a WHERE moved_in
                UNION ALL   -- next year's Reception, already on the autumn census carrying the summer term
                SELECT pupil_id, pri_school, '{s + 1} autumn', NULL, NULL, p * 64 + {y}, authorised_share,
                       birth_month, sex, 0, sen, 2, 'summer', true, days(make_date(k, 9, 2), u(p, 'pri_entry') * 4), NULL
                FROM pupils WHERE k = {s + 1} AND special_school IS NULL)
            SELECT pupil_id, {ay} AS academic_year, term, school, census, on_roll, birth_month, sex,
                   CASE WHEN g = 0 THEN 'R' ELSE g::VARCHAR END AS nc_year,
                   CASE WHEN u(pt, 'sen_null') < 0.02 THEN NULL ELSE sen END AS sen_provision,
                   possible AS sessions_possible,
                   round(absent * authorised_share) AS sessions_authorised,
                   absent - round(absent * authorised_share) AS sessions_unauthorised,
                   entry_date, leaving_date,
                   -- single registrations; the leavers' file has no status
                   CASE WHEN on_roll THEN 'C' END AS enrol_status,
                   -- ~0.5% of rows name a former UPN (persons.sql links the two)
                   CASE WHEN u(pupil_id, 'former') < 0.005 THEN left(sha256('{seed}:former:' || pupil_id), 32) END
                       AS former_pupil_id
            FROM rows""", y)

        # Exclusions: ~3% suspended (1-4 times), ~0.1% permanently excluded, Y1..Y11.
        write("exclusions", f"""
            WITH pe AS (SELECT * FROM ({on_roll}) WHERE g BETWEEN 1 AND 11),
            x AS (
                SELECT pe.*, e, py * 8 + e AS xk, false AS perm FROM pe, range(4) t(e)
                WHERE u(py, 'susp') < 0.018 * exclusion_risk AND e < 1 + floor(-ln(1 - u(py, 'n_susp')) * 0.8)
                UNION ALL
                SELECT pe.*, 4, py * 8 + 4, true FROM pe WHERE u(py, 'perm') < 0.0006 * exclusion_risk),
            t AS (
                SELECT *, floor(u(xk, 'term') * 3)::INTEGER AS ti FROM x)
            SELECT pupil_id, {ay} AS academic_year, ['autumn', 'spring', 'summer'][ti + 1] AS term, school,
                   CASE WHEN ti = 0 THEN '{s + 1} summer' ELSE '{s + 1} autumn' END AS census,
                   days([DATE '{s}-09-03', DATE '{s + 1}-01-04', DATE '{s + 1}-04-15'][ti + 1], u(xk, 'day') * 100) AS start_date,
                   CASE WHEN perm THEN 'PERM' WHEN {s + 1} <= 2020 THEN 'FIXD' ELSE 'SUSP' END AS category,
                   CASE WHEN perm THEN NULL ELSE 1 + floor(u(xk, 'sessions') * 10) END AS sessions,
                   {weighted("u(xk, 'r1')", EXCLUSION_REASON)} AS reason1,
                   CASE WHEN u(xk, 'has_r2') < 0.15 THEN {weighted("u(xk, 'r2')", EXCLUSION_REASON)} END AS reason2,
                   CASE WHEN u(xk, 'has_r3') < 0.02 THEN {weighted("u(xk, 'r3')", EXCLUSION_REASON)} END AS reason3,
                   sen AS sen_provision
            FROM t""", y)

        # SEN needs in each of the year's three censuses: rank 1, and rank 2 for 40%.
        write("sen_needs", f"""
            SELECT pupil_id, school, census, rank,
                   CASE WHEN rank = 1 THEN {weighted("u(p, 'sen1')", SEN_TYPE)}
                        ELSE {weighted("u(p, 'sen2')", SEN_TYPE)} END AS sen_type
            FROM ({on_roll}) o, {terms}, (VALUES (1), (2)) r(rank)
            WHERE sen <> 'N' AND (rank = 1 OR u(p, 'sen_rank2') < 0.4)""", y)

        # FSM: a pupil's eligibility period, reported by each census it overlaps.
        write("fsm_periods", f"""
            SELECT pupil_id, school, census, fsm_start AS start_date,
                   CASE WHEN days(fsm_start, fsm_days) <= census_date THEN days(fsm_start, fsm_days) END AS end_date,
                   'ENG' AS uk_country
            FROM ({on_roll}) o, {terms}
            WHERE fsm AND fsm_start <= census_date AND days(fsm_start, fsm_days) >= census_date - 120""", y)

        if s not in (2019, 2020):  # KS2 tests were cancelled in 2019/20 and 2020/21
            write("ks2_attainment", f"""
                WITH k2 AS (SELECT *, least(120, greatest(80, round(105.5 + 7 * (0.7 * ability + 0.7 * z(p, 'read'))))) AS reading,
                                  least(120, greatest(80, round(105.5 + 7 * (0.7 * ability + 0.7 * z(p, 'maths'))))) AS maths,
                                  least(120, greatest(80, round(105 + 7 * (0.7 * ability + 0.7 * z(p, 'gps'))))) AS gps,
                                  0.8 * ability + 0.6 * z(p, 'writing') AS w
                           FROM ({on_roll}) WHERE g = 6 AND u(p, 'ks2_missing') > 0.03)
                SELECT pupil_id, {ay} AS academic_year, la_code, pri_urn AS urn, reading AS reading_score,
                       maths AS maths_score, gps AS gps_score,
                       CASE WHEN w > 1.1 THEN 'GDS' WHEN w > -0.8 THEN 'EXS' WHEN w > -1.9 THEN 'WTS' ELSE 'PKF' END AS writing_ta,
                       CASE WHEN 0.8 * ability + 0.6 * z(p, 'science') > -0.6 THEN 'EXS' ELSE 'HNM' END AS science_ta,
                       reading >= 100 AND maths >= 100 AND w > -0.8 AS rwm_expected,
                       NULL AS reading_result, NULL AS maths_result, NULL AS gps_result
                FROM k2""", y)
        write("ks4_attainment", f"""
            WITH k4 AS (SELECT *, least(90, greatest(0, round(46 + 17 * (0.8 * ability + 0.6 * z(p, 'a8')), 2))) AS a8
                       FROM ({on_roll}) WHERE g = 11 AND u(p, 'ks4_missing') > 0.03)
            SELECT pupil_id, {ay} AS academic_year, la_code, sec_urn AS urn, a8 AS attainment8,
                   -- no Progress 8 in 2019/20, 2020/21 (no exams) and 2024/25 (no KS2 baseline)
                   CASE WHEN {s} NOT IN (2019, 2020, 2024)
                        THEN least(5, greatest(-5, round(0.5 * ability + 0.9 * z(p, 'p8'), 2))) END AS progress8,
                   a8 + 8 * z(p, 'em') > 38 AS english_maths_4, a8 + 8 * z(p, 'em') > 48 AS english_maths_5,
                   least(9, greatest(0, round(a8 / 10.5 + 0.5 * z(p, 'ebacc'), 2))) AS ebacc_aps,
                   u(p, 'ebacc_entry') < 0.4 AS ebacc_entered
            FROM k4""", y)

    # --- the spring census after the last year: it completes the last year's exclusions
    # (domain.md §2, complete years: summer, autumn and the next spring census), so the
    # last year is measured, not x. Its own term (attendance) lies outside the years.
    s = s0 + years
    write("pupil_terms", f"""
        SELECT pupil_id, {s * 100 + (s + 1) % 100} AS academic_year, 'autumn' AS term,
               pri_school AS school, '{s + 1} spring' AS census, true AS on_roll, birth_month, sex,
               NULL AS nc_year, NULL AS sen_provision, NULL AS sessions_possible,
               NULL AS sessions_authorised, NULL AS sessions_unauthorised,
               NULL AS entry_date, NULL AS leaving_date, 'C' AS enrol_status, NULL AS former_pupil_id
        FROM pupils WHERE k = {s - 4} AND special_school IS NULL""", years)

    # --- elective home education: ~0.5% of pupils, most still home educated.
    print("ehe, social care", flush=True)
    write("ehe_episodes", f"""
        SELECT pupil_id, days(DATE '{s0}-09-01', u(p, 'ehe_start') * (DATE '{s_last + 1}-07-31' - DATE '{s0}-09-01')) AS start_date,
               CASE WHEN u(p, 'ehe_end') < 0.15 THEN days(start_date, 30 + u(p, 'ehe_len') * 300) END AS end_date,
               {weighted("u(p, 'ehe_reason')", EHE_REASON)} AS reason
        FROM pupils WHERE ehe""")

    # --- children with a social worker: pupils flagged cin/respite, plus 25% more with no
    # school record (under 5s, out of area); 10% of pupils' children have no valid UPN.
    n_other = con.execute("SELECT count(*) // 4 FROM pupils WHERE cin").fetchone()[0]
    con.execute(f"""
        CREATE TABLE children AS
        WITH kids AS (
            SELECT p AS c, CASE WHEN u(p, 'no_upn') < 0.1 THEN NULL ELSE pupil_id END AS pupil_id,
                   birth_month, sex, la_code, cin, cla, respite
            FROM pupils WHERE cin OR respite
            UNION ALL
            SELECT {per_cohort * n_cohorts} + j, NULL,
                   days(DATE '{s0 - 18}-09-01', u(j, 'x_bm') * (DATE '{s_last + 1}-03-01' - DATE '{s0 - 18}-09-01')),
                   CASE WHEN u(j, 'x_sex') < 0.51 THEN 'M' ELSE 'F' END, la_code(floor(u(j, 'x_la') * {n_la})::INTEGER),
                   true, u(j, 'x_cla') < 0.25, false
            FROM range({n_other}) t(j))
        SELECT kids.*, left(sha256('{seed}:child:' || c), 32) AS child_id,
               {weighted("u(c, 'eth')", ETHNICITY)} AS ethnicity
        FROM kids""")
    # Census (collection) years and their bounds, as in the queries' parameters.
    con.execute(f"""CREATE TABLE census_years AS
        SELECT cy, make_date(cy - 1, 4, 1) AS period_start, make_date(cy, 3, 31) AS reference_date
        FROM range({s0 + 1}, {s_last + 2}) t(cy)""")

    # CIN episodes (1-3 per child): most referred since 2016, 12% long-running from 2011.
    con.execute(f"""
        CREATE TABLE cin_eps AS
        WITH ep AS (
            SELECT ch.*, c * 4 + e AS ek, u(c * 4 + e, 'long') < 0.12 AS long
            FROM children ch, range(3) t(e)
            WHERE cin AND e < 1 + (u(c, 'n_eps') < 0.35)::INTEGER + (u(c, 'n_eps') < 0.1)::INTEGER),
        d AS (
            SELECT *, CASE WHEN long THEN days(DATE '2011-04-01', u(ek, 'ref') * 1826)
                           ELSE days(DATE '2016-04-01', u(ek, 'ref') * ({last_day} - DATE '2016-04-01')) END AS referral_date,
                      u(ek, 'nfa') < 0.08 AS referral_nfa
            FROM ep)
        , p AS (  -- 25% have a child protection plan from 10-60 days after referral
            SELECT *, NOT referral_nfa AND u(ek, 'cpp') < 0.25 AS has_cpp,
                      days(referral_date, 10 + u(ek, 'cpp_start') * 50) AS cpp_start,
                      1 - ln(1 - u(ek, 'cpp_dur')) * 0.9 * 365 AS cpp_days
            FROM d)
        SELECT *, -- the episode stays open at least until a month or more after its plan ends
               days(referral_date, CASE WHEN referral_nfa THEN u(ek, 'dur') * 3
                                        ELSE greatest(1 - ln(1 - u(ek, 'dur')) * (CASE WHEN long THEN 5 ELSE 0.9 END) * 365,
                                                      CASE WHEN has_cpp THEN 10 + u(ek, 'cpp_start') * 50 + cpp_days + 30 + u(ek, 'after') * 120 ELSE 0 END)
                                   END) AS closure
        FROM p""")
    # One row per episode per census year it overlaps; dates past 31 March not yet known.
    con.execute(f"""
        CREATE TABLE cin_rows AS
        SELECT ep.*, y.*,
               CASE WHEN closure <= reference_date THEN closure END AS closure_date
        FROM cin_eps ep, census_years y
        WHERE referral_date <= reference_date AND closure >= period_start""")
    write("cin_episodes", f"""
        SELECT child_id, cy AS census_year, referral_date,
               {weighted("u(ek, 'source')", REFERRAL_SOURCE)} AS referral_source,
               {weighted("u(ek, 'need')", PRIMARY_NEED)} AS primary_need, closure_date,
               CASE WHEN closure_date IS NOT NULL THEN {weighted("u(ek, 'rc')", CLOSURE_REASON)} END AS reason_for_closure,
               referral_nfa
        FROM cin_rows""")
    write("cin_children", """
        SELECT DISTINCT child_id, pupil_id, la_code, cy AS census_year, reference_date, birth_month, sex, ethnicity,
               NULL AS former_pupil_id
        FROM cin_rows""")
    write("cin_disabilities", f"""
        SELECT DISTINCT child_id, cy AS census_year, {weighted("u(c, 'disability')", DISABILITY)} AS disability
        FROM cin_rows""")
    write("cin_assessments", """
        SELECT child_id, cy AS census_year, referral_date, days(referral_date, 1 + u(ek, 'as') * 4) AS start_date,
               NULL AS internal_review_date,
               CASE WHEN days(referral_date, 11 + u(ek, 'as') * 4 + u(ek, 'auth') * 35) <= reference_date
                    THEN days(referral_date, 11 + u(ek, 'as') * 4 + u(ek, 'auth') * 35) END AS authorisation_date
        FROM cin_rows WHERE NOT referral_nfa AND u(ek, 'assessed') < 0.9
          AND days(referral_date, 1 + u(ek, 'as') * 4) <= reference_date""")
    write("cin_assessment_factors", f"""
        SELECT child_id, cy AS census_year, referral_date, days(referral_date, 1 + u(ek, 'as') * 4) AS assessment_start_date,
               {FACTORS}[1 + floor(u(ek * 8 + f, 'factor') * {len(FACTORS)})::INTEGER] AS factor
        FROM cin_rows, range(4) t(f)
        WHERE NOT referral_nfa AND u(ek, 'assessed') < 0.9 AND days(referral_date, 1 + u(ek, 'as') * 4) <= reference_date
          AND f < 2 + floor(u(ek, 'n_factors') * 3)""")
    write("cin_section47_enquiries", """
        SELECT child_id, cy AS census_year, referral_date, days(referral_date, u(ek, 's47') * 5) AS start_date,
               days(referral_date, u(ek, 's47') * 5 + 15) AS initial_cpc_target,
               CASE WHEN u(ek, 'icpc') < 0.65 AND days(referral_date, u(ek, 's47') * 5 + 5 + u(ek, 'icpc_day') * 10) <= reference_date
                    THEN days(referral_date, u(ek, 's47') * 5 + 5 + u(ek, 'icpc_day') * 10) END AS initial_cpc_date,
               u(ek, 'icpc_nr') < 0.08 AS icpc_not_required
        FROM cin_rows WHERE NOT referral_nfa AND (has_cpp OR u(ek, 'has_s47') < 0.1)
          AND days(referral_date, u(ek, 's47') * 5) <= reference_date""")
    # Child protection plans: 20% of episodes, ending by the episode's closure.
    con.execute("""
        CREATE TABLE cpp_rows AS
        SELECT *, CASE WHEN plan_end <= reference_date THEN plan_end END AS plan_end_date
        FROM (SELECT *, least(closure, days(cpp_start, cpp_days)) AS plan_end FROM cin_rows WHERE has_cpp)
        WHERE cpp_start <= reference_date AND cpp_start < closure AND plan_end >= period_start""")
    write("cin_child_protection_plans", f"""
        SELECT child_id, cy AS census_year, referral_date, cpp_start AS plan_start_date, plan_end_date,
               {weighted("u(ek, 'cat')", ABUSE)} AS initial_category,
               CASE WHEN u(ek, 'cat_change') < 0.1 THEN {weighted("u(ek, 'cat2')", ABUSE)}
                    ELSE {weighted("u(ek, 'cat')", ABUSE)} END AS latest_category
        FROM cpp_rows""")
    write("cin_cpp_reviews", """
        SELECT child_id, cy AS census_year, referral_date, cpp_start AS cpp_start_date,
               days(cpp_start, 90 + 180 * r) AS review_date
        FROM cpp_rows, range(30) t(r)
        WHERE days(cpp_start, 90 + 180 * r) BETWEEN period_start AND least(reference_date, plan_end)""")
    write("cin_plans", """
        SELECT child_id, cy AS census_year, referral_date, days(referral_date, 20 + u(ek, 'plan') * 60) AS plan_start_date,
               closure_date AS plan_end_date
        FROM cin_rows WHERE cy >= 2022 AND NOT referral_nfa AND u(ek, 'has_plan') < 0.45
          AND days(referral_date, 20 + u(ek, 'plan') * 60) <= least(reference_date, closure)""")
    # Pre-proceedings are new in the 2026 census: rows only for census years from 2026.
    write("cin_pre_proceedings_fgdm", """
        SELECT child_id, cy AS census_year, referral_date, days(cpp_start, 30) AS pp_start_date,
               days(cpp_start, 35) AS lbp_sent_date, true AS fgdm_meeting_offer, u(ek, 'fgdm') < 0.6 AS fgdm_meeting_facilitated,
               days(cpp_start, 45) AS initial_pp_meeting_date, 1 + floor(u(ek, 'ppr') * 3) AS review_meetings_count,
               NULL AS step_decision_date, NULL AS pp_outcome, NULL AS court_application_date, NULL AS letter_init_cp_date
        FROM cpp_rows WHERE cy >= 2026 AND u(ek, 'pp') < 0.05""")

    # Looked after: 1-2 spells per child, each of 1-4 contiguous
    # episodes (placement changes); plus short breaks (V3/V4 respite) for `respite` children.
    con.execute(f"""
        CREATE TABLE care_eps AS
        WITH spells AS (  -- the first spell: 30% long-running from 2012
            SELECT ch.*, sp, c * 2 + sp AS sk,
                   CASE WHEN u(c * 2, 'long') < 0.3 THEN days(DATE '2012-01-01', u(c * 2, 'start') * 2282)
                        ELSE days(DATE '2016-04-01', u(c * 2, 'start') * ({last_day} - DATE '2016-04-01')) END AS first_start,
                   1 + (-ln(1 - u(c * 2, 'dur')) * CASE WHEN u(c * 2, 'long') < 0.3 THEN 6 ELSE 2 END * 365)::INTEGER AS first_days
            FROM children ch, range(2) t(sp) WHERE cla AND (sp = 0 OR u(c, 'two_spells') < 0.15)),
        d AS (  -- a second spell starts 1-24 months after the first ends
            SELECT *, CASE WHEN sp = 0 THEN first_start ELSE days(first_start, first_days + 30 + u(sk, 'gap') * 700) END AS spell_start,
                      CASE WHEN sp = 0 THEN first_days ELSE 1 + (-ln(1 - u(sk, 'dur')) * 2 * 365)::INTEGER END AS spell_days,
                      1 + floor(u(sk, 'n_eps') * 3.5)::INTEGER AS eps
            FROM spells),
        e AS (  -- no episode shorter than a day, so no two of a spell start together
            SELECT *, least(eps, spell_days) AS n_eps FROM d)
        SELECT child_id, c, sk * 4 + j AS ek, days(spell_start, spell_days * j // n_eps) AS start_date,
               days(spell_start, spell_days * (j + 1) // n_eps) AS finish, j = 0 AS first_ep, j = n_eps - 1 AS last_ep,
               {weighted("u(sk * 4 + j, 'legal')", LEGAL_STATUS)} AS legal_status,
               {weighted("u(sk * 4 + j, 'placement')", PLACEMENT)} AS placement
        FROM e, range(4) t(j) WHERE j < n_eps
        UNION ALL
        SELECT child_id, c, 1000000000000 + c * 64 + b, days(DATE '{s0 - 1}-04-01', u(c * 64 + b, 'break') * ({last_day} - {first_day})),
               days(DATE '{s0 - 1}-04-01', u(c * 64 + b, 'break') * ({last_day} - {first_day}) + 1 + floor(u(c * 64 + b, 'len') * 3)),
               true, true, CASE WHEN u(c * 64 + b, 'v') < 0.5 THEN 'V3' ELSE 'V4' END, 'H5'
        FROM children, range(5 * {years}) t(b) WHERE respite""")
    con.execute("""
        CREATE TABLE care_rows AS
        SELECT ep.*, y.*, CASE WHEN finish <= reference_date THEN finish END AS end_date
        FROM care_eps ep, census_years y
        WHERE start_date <= reference_date AND finish >= period_start""")
    write("care_episodes", f"""
        SELECT child_id, cy AS collection_year, start_date, end_date,
               CASE WHEN first_ep THEN 'S' ELSE {weighted("u(ek, 'rne')", RNE)} END AS reason_new_episode,
               legal_status, placement,
               CASE WHEN end_date IS NULL THEN NULL WHEN legal_status IN ('V3', 'V4') THEN 'E13'
                    WHEN NOT last_ep THEN 'X1' ELSE {weighted("u(ek, 'ceased')", CEASED)} END AS reason_ceased
        FROM care_rows""")
    write("care_children", """
        SELECT DISTINCT child_id, pupil_id, la_code, cy AS collection_year, birth_month, sex, ethnicity
        FROM care_rows JOIN children USING (child_id, c)""")
    # Reviews, missing episodes and UASC for looked-after children, per collection year.
    con.execute("""
        CREATE TABLE cla_years AS
        SELECT DISTINCT c, child_id, cy, period_start, reference_date, c * 16 + cy - 2000 AS yk
        FROM care_rows WHERE legal_status NOT IN ('V3', 'V4')""")
    write("care_reviews", f"""
        SELECT child_id, cy AS collection_year, days(period_start, u(yk * 4 + r, 'review') * 364) AS review_date,
               {weighted("u(yk * 4 + r, 'code')", REVIEW_CODE)} AS review_code
        FROM cla_years, range(2) t(r)""")
    write("care_missing", """
        SELECT child_id, cy AS collection_year, CASE WHEN u(yk * 4 + m, 'mt') < 0.7 THEN 'M' ELSE 'A' END AS missing_type,
               days(period_start, u(yk * 4 + m, 'ms') * 360) AS start_date,
               CASE WHEN u(yk * 4 + m, 'open') > 0.03 THEN days(period_start, u(yk * 4 + m, 'ms') * 360 + floor(u(yk * 4 + m, 'ml') * 5)) END AS end_date
        FROM cla_years, range(3) t(m)
        WHERE u(yk, 'missing') < 0.12 AND m < 1 + floor(u(yk, 'n_missing') * 3)""")
    write("care_uasc", """
        SELECT child_id, cy AS collection_year, birth_month, sex,
               CASE WHEN make_date(year(birth_month) + 18, month(birth_month), 1) <= reference_date
                    THEN make_date(year(birth_month) + 18, month(birth_month), 1) END AS uasc_ceased_date
        FROM cla_years JOIN children USING (c, child_id) WHERE u(c, 'uasc') < 0.06""")

    empty("ledger", out / "ledger.parquet")
    empty("rejects", out / "rejects.parquet")
    con.close()
    shutil.rmtree(tmp, ignore_errors=True)

    # Check every written table against the data dictionary, and report rows and MB.
    check = duckdb.connect()
    total_mb = 0.0
    print(f"\n{'table':28} {'rows':>14} {'MB':>9}")
    for table in sorted(rows):
        files = [str(p) for p in parts[table]]
        found = [(r[0], r[1]) for r in check.execute(f"DESCRIBE SELECT * FROM read_parquet({files})").fetchall()]
        assert found == schema(table), f"{table}: {found} != {schema(table)}"
        mb = sum(os.path.getsize(p) for p in files) / 1e6
        total_mb += mb
        print(f"{table:28} {rows[table]:>14,} {mb:>9.1f}")
    seconds = time.time() - started
    print(f"{'total':28} {sum(rows.values()):>14,} {total_mb:>9.1f}\nwall time {seconds:.0f} s")
    (out / "national.json").write_text(json.dumps(
        {"pupils": args.pupils, "years": years, "seed": seed, "rows": rows, "mb": round(total_mb, 1),
         "seconds": round(seconds), "duckdb": duckdb.__version__,
         "written": datetime.datetime.now().isoformat(timespec="seconds")}, indent=1) + "\n")


if __name__ == "__main__":
    main()
