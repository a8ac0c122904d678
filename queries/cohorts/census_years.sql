-- name: census_years
-- title: Which school censuses a year's measures can need are among the inputs
-- kind: cohort
-- table: census_years
-- implements: "domain.md §2 (complete years: absence needs the spring, summer and autumn censuses of the year; exclusions the summer and autumn censuses and the next spring census; FSM and SEN the spring census) and §5 (which census carries which term: attendance one term in arrears, exclusions two)"
-- grain: one row per academic year and school census its measures can need
-- numerator: not applicable (coverage)
-- denominator: not applicable (coverage)
-- parameters:
--   academic_year: int32, the academic year as EES time_period (202122)
--   census_year: int32, the calendar year of the spring (January) census in the academic year (2022)
-- output:
--   academic_year: int32, the academic year (202122)
--   need: string, the census as a measure header names it in its censuses list, one of spring, summer, autumn (of census_year) or next spring (of census_year + 1)
--   census: string, the census as the warehouse names it (2022 spring)
--   present: boolean, the inputs held that census (its pupil rows are in pupil_terms)
--
-- A measure's year is whole only when every census it needs is here; the engine marks
-- the year x otherwise and says which census is missing (domain.md §2, complete years).
-- A census is among the inputs when pupil_terms holds a row it carried: its exclusion,
-- FSM and SEN rows name their pupils through its pupil files, so without those it holds
-- nothing. Each census is looked for with a constant, so the engine reads only the
-- warehouse parts that can hold it, and one row of it is enough (limit 1).

with

wanted as (
    select 'spring' as need, cast($census_year as string) || ' spring' as census
    union all
    select 'summer', cast($census_year as string) || ' summer'
    union all
    select 'autumn', cast($census_year as string) || ' autumn'
    union all
    select 'next spring', cast($census_year + 1 as string) || ' spring'
),

held as (
    select census from (
        select census from pupil_terms where census = cast($census_year as string) || ' spring' limit 1
    ) as spring
    union all
    select census from (
        select census from pupil_terms where census = cast($census_year as string) || ' summer' limit 1
    ) as summer
    union all
    select census from (
        select census from pupil_terms where census = cast($census_year as string) || ' autumn' limit 1
    ) as autumn
    union all
    select census from (
        select census from pupil_terms where census = cast($census_year + 1 as string) || ' spring' limit 1
    ) as next_spring
)

select
    cast($academic_year as int) as academic_year,
    wanted.need,
    wanted.census,
    held.census is not null as present
from held
right join wanted on held.census = wanted.census
order by wanted.census
