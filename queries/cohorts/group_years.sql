-- name: group_years
-- title: Every social care group of a year, and whether the returns held support it
-- kind: cohort
-- table: cohort_groups
-- implements: "domain.md §1 (groups, the years the CWSW groups' data supports: CIN plans from the 2022 census; Ever CIN - last 6 years needs six census years, Ever CIN - all years held every year from the first held) and §3 (x: not available)"
-- grain: one row per academic year and social care group
-- numerator: not applicable (coverage)
-- denominator: not applicable (coverage)
-- parameters:
--   academic_year: int32, the academic year as EES time_period (202122)
--   census_year: int32, the CIN census and SSDA903 collection year ending in the academic year (2022)
--   lookback_census_year: int32, the first of the look-back collection years ending in this one (2017 for 2022 with six years; 0 with every year held)
--   lookback_years: int32, the look-back in collection years (6, DfE's definition), or 0 for every year held
--   cin_plans_from: int32, the first CIN census year that records CIN plans (2022 nationally)
--   ever_cin_group: string, the label of the look-back group (Ever CIN - last 6 years, or Ever CIN - all years held)
--   never_cin_group: string, the label of its peers
--   ever_cwsw_group: string, the label of the look-back CWSW group (Ever 6 CWSW, or Ever CWSW - all years held)
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
        sum(case when collection_year between $lookback_census_year and $census_year then 1 else 0 end) as window_years,
        -- The window of every year held starts at the first one.
        min(case when collection_year <= $census_year then collection_year end) as first_year
    from both_years
),

flags as (
    -- Six years (or the look-back's number) all held; with every year held, each year
    -- from the first held on.
    select
        coalesce(this_year, 0) = 1 as has_year,
        case
            when $lookback_years = 0 then coalesce(window_years, 0) = $census_year - first_year + 1
            else coalesce(window_years, 0) = $lookback_years
        end as has_window,
        $census_year >= $cin_plans_from as has_plans,
        case
            when $lookback_years = 0 then coalesce(first_year, 0) >= $cin_plans_from
            else $lookback_census_year >= $cin_plans_from
        end as has_window_plans
    from coverage
),

notes as (
    select
        case
            when $lookback_years = 0 then 'a CIN census or SSDA903 return is missing between the first held and this year'
            else 'fewer than ' || cast($lookback_years as string) || ' years of CIN census and SSDA903 returns'
        end as window_note
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
    select label, has_window, case when has_window then '' else window_note end
    from flags
    cross join notes
    cross join (
        select $ever_cin_group as label
        union all select $never_cin_group
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
    select $ever_cwsw_group, has_window and has_window_plans,
        case
            when not has_window_plans then 'the look-back years reach before CIN plans were recorded (' || cast($cin_plans_from as string) || ')'
            when not has_window then window_note
            else ''
        end
    from flags
    cross join notes
)

select
    cast($academic_year as int) as academic_year,
    social_care_group,
    supported,
    note
from groups
order by social_care_group
