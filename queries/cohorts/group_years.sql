-- name: group_years
-- title: Every social care group of a year, and whether the returns held support it
-- kind: cohort
-- table: cohort_groups
-- implements: "domain.md §1 (groups, the years the CWSW groups' data supports: CIN plans from the 2022 census; Ever CIN - last 6 years needs six census years) and §3 (x: not available)"
-- grain: one row per academic year and social care group
-- numerator: not applicable (coverage)
-- denominator: not applicable (coverage)
-- parameters:
--   academic_year: int32, the academic year as EES time_period (202122)
--   census_year: int32, the CIN census and SSDA903 collection year ending in the academic year (2022)
--   lookback_census_year: int32, the first of the six collection years ending in this one (2017 for 2022)
--   cin_plans_from: int32, the first CIN census year that records CIN plans (2022 nationally)
-- output:
--   academic_year: int32, the academic year (202122)
--   social_care_group: string, the DfE group label, as social_care_groups writes it
--   supported: boolean, the returns held cover the group in this year; if not, its measures are x
--   note: string, why a group is not supported (empty when it is)
--
-- Every measure has a row for every group listed here; a supported group with no
-- pupils counts 0, an unsupported one is x, never 0 (domain.md §2, §3).

with

cin_years as (
    select distinct census_year as collection_year from cin_children
),

care_years as (
    select distinct collection_year from care_children
),

both_years as (
    select cin_years.collection_year
    from cin_years
    inner join care_years on cin_years.collection_year = care_years.collection_year
),

coverage as (
    select
        sum(case when collection_year = $census_year then 1 else 0 end) as this_year,
        sum(case when collection_year between $lookback_census_year and $census_year then 1 else 0 end) as window_years
    from both_years
),

flags as (
    select
        coalesce(this_year, 0) = 1 as has_year,
        coalesce(window_years, 0) = 6 as has_window,
        $census_year >= $cin_plans_from as has_plans,
        $lookback_census_year >= $cin_plans_from as has_window_plans
    from coverage
),

groups as (
    select 'All pupils comparison' as social_care_group, true as supported, '' as note from flags
    union all
    select label, has_year, case when has_year then '' else 'no CIN census or SSDA903 return for the year' end
    from flags
    cross join (
        select 'CIN at 31 March' as label
        union all select 'CINO at 31 March'
        union all select 'CPPO at 31 March'
        union all select 'CLA at 31 March'
        union all select 'CLA 12 months at 31 March'
        union all select 'CLA less than 12 months at 31 March'
        union all select 'CIN at any point'
        union all select 'CINO at any point'
        union all select 'CPPO at any point'
        union all select 'CLA at any point'
    ) as labels
    union all
    select label, has_window, case when has_window then '' else 'fewer than six years of CIN census and SSDA903 returns' end
    from flags
    cross join (
        select 'Ever CIN - last 6 years' as label
        union all select 'Never CIN - last 6 years'
    ) as labels
    union all
    select 'CWSW', has_year and has_plans,
        case
            when not has_plans then 'CIN plans are not recorded in the CIN census before ' || cast($cin_plans_from as string)
            when not has_year then 'no CIN census or SSDA903 return for the year'
            else ''
        end
    from flags
    union all
    select 'Ever 6 CWSW', has_window and has_window_plans,
        case
            when not has_window_plans then 'the six years reach before CIN plans were recorded (' || cast($cin_plans_from as string) || ')'
            when not has_window then 'fewer than six years of CIN census and SSDA903 returns'
            else ''
        end
    from flags
)

select
    cast($academic_year as int) as academic_year,
    social_care_group,
    supported,
    note
from groups
order by social_care_group
