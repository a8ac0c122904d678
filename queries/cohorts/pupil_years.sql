-- name: pupil_years
-- title: Each pupil's characteristics and attendance in an academic year, for breakdowns and the SEN, FSM and absence measures
-- kind: cohort
-- table: pupil_years
-- implements: "domain.md §2 (breakdowns: phase_type_grouping, SEN provision; SEN and FSM at the January census; dual registration: sessions summed over C, M and S, characteristics from the main or single registration) and §5 (school census; D is not a possible session; absence: six half terms, compulsory school age, ratio of sums). DfE: Pupil absence statistics methodology (sessions per enrolment, combined per pupil); School census guide (census day, enrolment status)"
-- grain: one row per academic year and pupil on a school census that year
-- numerator: not applicable (characteristics)
-- denominator: not applicable (characteristics)
-- parameters:
--   academic_year: int32, the academic year as EES time_period (202122)
--   census_year: int32, the calendar year of the spring (January) census in the academic year (2022)
--   year_start: date, 1 August starting the academic year
--   year_end: date, 31 July ending it
--   census_date: date, the spring census day of the year (the third Thursday of January, by the DfE school census calendar), the day FSM eligibility is read on
--   compulsory_birth_from: date, earliest birth date of a pupil aged 5 to 15 at 31 August before the year
--   compulsory_birth_to: date, latest such birth date
-- output:
--   academic_year: int32, the academic year (202122)
--   pupil_id: string, the pupil's person key (persons.sql), so a pupil whose UPN changed is one pupil, under its least pupil_id
--   on_spring_census: boolean, on roll at the spring (January) census (any registration, C, M or S), the census DfE reads SEN and FSM from
--   phase_type_grouping: string, State-funded primary, State-funded secondary, Special, State-funded alternative provision school or Unknown
--   sex: string, Female, Male or Unknown
--   sen_provision: string, No identified SEN, SEN support, EHC plan or Unknown
--   year_group: string, Reception, Year 1 … Year 14 or Unknown
--   fsm_eligible: boolean, eligible for free school meals on the spring census day (a period in that census starting on or before the day and ending after it, or open)
--   primary_need: string, the SEN type ranked 1 in the spring census by the chosen (main or single) registration's school (SEMH, ASD, …), null without one
--   sessions_possible: int64, possible sessions over every registration (C, M, S) and term of the year while of compulsory school age, null with none recorded
--   sessions_authorised: int64, authorised absence sessions over the same records (a missing count is 0)
--   sessions_unauthorised: int64, unauthorised absence sessions over the same records (a missing count is 0)
--
-- A pupil's characteristics come from one record of the year: a main or single
-- registration (C or M; a leaver's record, which has no status, counts as one) before
-- a subsidiary one (S) before a row that is not a registration (F, O), then the spring
-- census on roll if there is one, else the latest term described, on roll before not
-- (a pupil who left), then by school, then by the codes, so the choice never depends
-- on file order. Its attendance is the sum over every registration (C, M and S: each
-- reports only its own sessions, and the main school's D, attending the other
-- establishment, is not a possible session, so none counts twice) and term of the year
-- with possible sessions while of compulsory school age (5 to 15 at 31 August before
-- the year): absence rates are a ratio of sums, not a mean of ratios (domain.md §2, §5). The same pass over the
-- census records does both, so the absence measure needs no per-pupil aggregate or
-- join of its own.

with

aliases as (
    -- Pupil ids that are not their person's key: a UPN the pupil had before or after
    -- another (persons.sql). A few rows; every other pupil_id is its own key.
    select id, person_id
    from person_ids
    where kind = 'pupil'
      and id <> person_id
),

spring_census as (
    -- One row, written first wherever it is joined: DataFusion builds a join's table
    -- from its left input.
    select cast($census_year as string) || ' spring' as census
),

chosen as (
    -- The record described above, chosen per pupil as the least of one sort key: each
    -- rule a fixed-width flag, then the school (never null in the warehouse), then the
    -- codes to keep, all separated by spaces (which sort below the codes' letters and
    -- digits, so a shorter school sorts first, as it would alone).
    -- An aggregate, not row_number() over a sort of every record: at national scale
    -- (26M records a year) the window took twice as long in DataFusion. Codes come from
    -- the code lists and never contain a space; the extract writes a missing code as
    -- null, never '' (the key reads '' back as null).
    select
        keys.pupil_id,
        keys.on_spring_census = 1 as on_spring_census,
        split_part(keys.record, ' ', 3) as school,
        nullif(split_part(keys.record, ' ', 4), '') as sex,
        nullif(split_part(keys.record, ' ', 5), '') as nc_year,
        nullif(split_part(keys.record, ' ', 6), '') as sen_provision,
        keys.sessions_possible,
        keys.sessions_authorised,
        keys.sessions_unauthorised
    from (
        select
            pupil_terms.pupil_id,
            -- concat, not a chain of ||, which builds every intermediate string; no
            -- argument is null (Spark's concat would be null if one were).
            min(concat(
                pupil_terms.registration,
                case when pupil_terms.on_roll and pupil_terms.census = spring_census.census then '0' else '1' end,
                ' ',
                case pupil_terms.term when 'summer' then '0' when 'spring' then '1' else '2' end,
                case when pupil_terms.on_roll then '0' else '1' end,
                ' ',
                pupil_terms.school,
                ' ',
                coalesce(pupil_terms.sex, ''),
                ' ',
                coalesce(pupil_terms.nc_year, ''),
                ' ',
                coalesce(pupil_terms.sen_provision, '')
            )) as record,
            max(case when pupil_terms.on_roll and pupil_terms.census = spring_census.census
                and pupil_terms.registration < '2'
                then 1 else 0 end) as on_spring_census,
            -- Sessions of every registration, C, M and S (and a leaver's, which has no
            -- status); F and O rows are not registrations of the school.
            sum(case when pupil_terms.birth_month between $compulsory_birth_from and $compulsory_birth_to
                and pupil_terms.registration < '2'
                then pupil_terms.sessions_possible end) as sessions_possible,
            sum(case when pupil_terms.birth_month between $compulsory_birth_from and $compulsory_birth_to
                and pupil_terms.registration < '2'
                and pupil_terms.sessions_possible is not null
                then coalesce(pupil_terms.sessions_authorised, 0) end) as sessions_authorised,
            sum(case when pupil_terms.birth_month between $compulsory_birth_from and $compulsory_birth_to
                and pupil_terms.registration < '2'
                and pupil_terms.sessions_possible is not null
                then coalesce(pupil_terms.sessions_unauthorised, 0) end) as sessions_unauthorised
        from spring_census
        cross join (
            select
                coalesce(aliases.person_id, pupil_terms.pupil_id) as pupil_id,
                census, term, on_roll, school, sex, nc_year, sen_provision, birth_month,
                sessions_possible, sessions_authorised, sessions_unauthorised,
                -- Once per record, for the choice and the sums: 0 a main or single
                -- registration (or a leaver's row, which has no status), 1 a subsidiary
                -- one, 2 a row that is not a registration (F, O).
                case
                    when enrol_status is null or enrol_status in ('C', 'M') then '0'
                    when enrol_status = 'S' then '1'
                    else '2'
                end as registration
            -- The aliases, the smaller side, first: DataFusion builds a hash join's
            -- table from its left input.
            from aliases
            right join pupil_terms on aliases.id = pupil_terms.pupil_id
            where academic_year = $academic_year
              -- On roll at some point of the year (a census also lists later joiners).
              and (entry_date is null or entry_date <= $year_end)
              and (leaving_date is null or leaving_date >= $year_start)
        ) as pupil_terms
        group by pupil_terms.pupil_id
    ) as keys
),

phases as (
    -- Phase and type from the school lookup (domain.md §2: phase_type_grouping).
    select
        laestab,
        case
            when lower(type_of_establishment) like '%pupil referral%'
                or lower(type_of_establishment) like '%alternative provision%' then 'State-funded alternative provision school'
            when lower(type_of_establishment) like '%special%' then 'Special'
            when phase_of_education = 'Primary' then 'State-funded primary'
            when phase_of_education = 'Secondary' then 'State-funded secondary'
            else 'Unknown'
        end as phase_type_grouping,
        row_number() over (partition by laestab order by urn) as choice
    from schools
),

fsm_spring as (
    -- Eligible on census day: a period of the spring census covering it, starting on or
    -- before the day and ending after it or not at all (domain.md §2: FSM at the census
    -- day). The return is made after census day, so it can carry an end date that is
    -- still to come on the day. The census is compared with a constant, not joined to
    -- spring_census: the engine then reads only the warehouse part holding that census.
    select distinct coalesce(aliases.person_id, fsm_periods.pupil_id) as pupil_id
    from aliases
    right join fsm_periods on aliases.id = fsm_periods.pupil_id
    where fsm_periods.census = cast($census_year as string) || ' spring'
      and fsm_periods.start_date <= $census_date
      and (fsm_periods.end_date is null or fsm_periods.end_date > $census_date)
),

needs_spring as (
    -- Rank 1 per school: the pupil's primary need is the one its chosen (main or single)
    -- registration's school records.
    select
        coalesce(aliases.person_id, sen_needs.pupil_id) as pupil_id,
        sen_needs.school,
        min(sen_needs.sen_type) as primary_need
    from aliases
    right join sen_needs on aliases.id = sen_needs.pupil_id
    where sen_needs.census = cast($census_year as string) || ' spring'
      and sen_needs.rank = 1
    group by coalesce(aliases.person_id, sen_needs.pupil_id), sen_needs.school
)

select
    cast($academic_year as int) as academic_year,
    chosen.pupil_id,
    chosen.on_spring_census,
    coalesce(phases.phase_type_grouping, 'Unknown') as phase_type_grouping,
    case chosen.sex when 'F' then 'Female' when 'M' then 'Male' else 'Unknown' end as sex,
    case chosen.sen_provision
        when 'N' then 'No identified SEN'
        when 'K' then 'SEN support'
        when 'E' then 'EHC plan'
        when 'S' then 'EHC plan'
        else 'Unknown'
    end as sen_provision,
    case
        when chosen.nc_year is null then 'Unknown'
        when chosen.nc_year = 'R' then 'Reception'
        when chosen.nc_year in ('N1', 'N2') then 'Nursery'
        else 'Year ' || chosen.nc_year
    end as year_group,
    chosen.on_spring_census and fsm_spring.pupil_id is not null as fsm_eligible,
    case when chosen.on_spring_census then needs_spring.primary_need end as primary_need,
    chosen.sessions_possible,
    chosen.sessions_authorised,
    chosen.sessions_unauthorised
-- The lookups first, each joined to everything to its right: DataFusion builds a hash
-- join's table from its left input, and a build side cannot spill under --memory-limit.
from needs_spring
right join (
    fsm_spring
    right join (
        phases
        right join chosen on phases.laestab = chosen.school and phases.choice = 1
    ) on fsm_spring.pupil_id = chosen.pupil_id
) on needs_spring.pupil_id = chosen.pupil_id and needs_spring.school = chosen.school
-- No order: a table for the measures to join (sorting 8.5M pupils a year costs memory).
