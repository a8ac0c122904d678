-- name: social_care_groups
-- title: DfE social care groups at 31 March, at any point and over six years, the role extension's plan-based groups, their peers and all pupils
-- kind: cohort
-- implements: "domain.md §1 (cohorts: CIN census rules, hierarchy CLA > CPP > CIN, respite and ReferralNFA excluded, the VSH plan-based CWSW cohorts) and §8 points 1-2"
-- grain: one row per academic year, group and child (or pupil, for All pupils comparison and its peers)
-- numerator: not applicable (membership)
-- denominator: not applicable (membership)
-- parameters:
--   academic_year: int32, the academic year as EES time_period (202122)
--   census_year: int32, the CIN census and SSDA903 collection year ending in the academic year (2022)
--   reference_date: date, 31 March within the academic year
--   period_start: date, 1 April of the previous calendar year, start of the collection year
--   lookback_census_year: int32, the first of the six collection years ending in this one (2017 for 2022)
--   lookback_start: date, 1 April starting that first collection year (2016-04-01 for 2022)
-- output:
--   academic_year: int32, the academic year (202122)
--   social_care_group: string, the DfE group label
--   child_id: string, pseudonymised child (null for All pupils comparison and its peers)
--   pupil_id: string, pseudonymised pupil (null when the child has no valid UPN)
-- groups:
--   - All pupils comparison
--   - CIN at 31 March
--   - CINO at 31 March
--   - CPPO at 31 March
--   - CLA at 31 March
--   - CLA 12 months at 31 March
--   - CLA less than 12 months at 31 March
--   - CIN at any point
--   - CINO at any point
--   - CPPO at any point
--   - CLA at any point
--   - Ever CIN - last 6 years
--   - CWSW
--   - Ever 6 CWSW
--   - Never CIN - last 6 years
--
-- Whether the data supports a group in a year (a missing return, CIN plans before
-- 2022, a six-year window reaching before the first census) is group_years' business:
-- this query lists whoever the data it has puts in each group.

with

cin_episodes_window as (
    -- Every episode of the six collection years; referral NFA is not in need (domain.md §1).
    select child_id, census_year, referral_date, closure_date
    from cin_episodes
    where census_year between $lookback_census_year and $census_year
      and coalesce(referral_nfa, false) = false
),

care_this_year as (
    -- Short breaks (legal status V3, V4) are respite, not looked after (domain.md §1).
    select child_id, start_date, end_date
    from care_episodes
    where collection_year = $census_year
      and coalesce(legal_status, '') not in ('V3', 'V4')
),

care_previous as (
    select
        child_id,
        start_date,
        end_date,
        -- Episodes starting the same day in end order, so every engine numbers spells
        -- alike (an open episode, no end yet, last).
        lag(end_date) over (partition by child_id order by start_date, end_date nulls last) as previous_end
    from care_this_year
),

care_spells as (
    -- A spell of care continues while each episode starts the day the previous ended.
    select
        child_id,
        start_date,
        end_date,
        sum(case when previous_end is null or start_date > previous_end then 1 else 0 end)
            over (
                partition by child_id
                order by start_date, end_date nulls last
                rows between unbounded preceding and current row
            ) as spell
    from care_previous
),

spell_starts as (
    select child_id, spell, min(start_date) as spell_start
    from care_spells
    group by child_id, spell
),

looked_after as (
    -- Looked after at 31 March, with the start of the spell of care it falls in.
    select care_spells.child_id, min(spell_starts.spell_start) as spell_start
    from spell_starts
    inner join care_spells
        on spell_starts.child_id = care_spells.child_id
        and spell_starts.spell = care_spells.spell
    where care_spells.start_date <= $reference_date
      and (care_spells.end_date is null or care_spells.end_date > $reference_date)
    group by care_spells.child_id
),

facts as (
    -- What each record says of its child, one column a fact, 0 where it says nothing;
    -- each return is read once here (care episodes once more, for the spells above), and
    -- `children` sums them up per child. A period counts
    -- at 31 March when it began by then and had not ended by it, at any point when it
    -- was open on some day of the collection year (an end on 1 April still counts), and
    -- over six years when it was open on some day from lookback_start on.
    select
        child_id,
        case
            when census_year = $census_year and referral_date <= $reference_date
                and (closure_date is null or closure_date > $reference_date) then 1
            else 0
        end as in_need,
        case
            when census_year = $census_year and referral_date <= $reference_date
                and (closure_date is null or closure_date >= $period_start) then 1
            else 0
        end as in_need_any_point,
        0 as protection_plan,
        0 as protection_plan_any_point,
        0 as cin_plan,
        0 as looked_after,
        0 as looked_after_any_point,
        case
            when referral_date <= $reference_date
                and (closure_date is null or closure_date >= $lookback_start) then 1
            else 0
        end as ever_in_need,
        0 as ever_on_plan,
        cast(null as date) as spell_start,
        cast(null as string) as year_pupil_id,
        cast(null as string) as window_pupil_id
    from cin_episodes_window
    union all
    select
        child_id,
        0,
        0,
        case
            when census_year = $census_year and plan_start_date <= $reference_date
                and (plan_end_date is null or plan_end_date > $reference_date) then 1
            else 0
        end,
        case
            when census_year = $census_year and plan_start_date <= $reference_date
                and (plan_end_date is null or plan_end_date >= $period_start) then 1
            else 0
        end,
        0,
        0,
        0,
        -- A child protection plan is both a time in need and a plan (CWSW).
        case
            when plan_start_date <= $reference_date
                and (plan_end_date is null or plan_end_date >= $lookback_start) then 1
            else 0
        end,
        case
            when plan_start_date <= $reference_date
                and (plan_end_date is null or plan_end_date >= $lookback_start) then 1
            else 0
        end,
        cast(null as date),
        cast(null as string),
        cast(null as string)
    from cin_child_protection_plans
    where census_year between $lookback_census_year and $census_year
    union all
    select
        child_id,
        0,
        0,
        0,
        0,
        case
            when census_year = $census_year and plan_start_date <= $reference_date
                and (plan_end_date is null or plan_end_date > $reference_date) then 1
            else 0
        end,
        0,
        0,
        0,
        case
            when plan_start_date <= $reference_date
                and (plan_end_date is null or plan_end_date >= $lookback_start) then 1
            else 0
        end,
        cast(null as date),
        cast(null as string),
        cast(null as string)
    from cin_plans
    where census_year between $lookback_census_year and $census_year
    union all
    select
        child_id,
        0,
        0,
        0,
        0,
        0,
        0,
        case
            when collection_year = $census_year and start_date <= $reference_date
                and (end_date is null or end_date >= $period_start) then 1
            else 0
        end,
        case
            when start_date <= $reference_date
                and (end_date is null or end_date >= $lookback_start) then 1
            else 0
        end,
        0,
        cast(null as date),
        cast(null as string),
        cast(null as string)
    from care_episodes
    where collection_year between $lookback_census_year and $census_year
      and coalesce(legal_status, '') not in ('V3', 'V4')
    union all
    select child_id, 0, 0, 0, 0, 0, 1, 0, 0, 0, spell_start, cast(null as string), cast(null as string)
    from looked_after
    union all
    -- A child's pupil: through this year's return for the groups of the year, through
    -- any of the six years' returns for the six-year groups.
    select
        child_id, 0, 0, 0, 0, 0, 0, 0, 0, 0, cast(null as date),
        case when census_year = $census_year then pupil_id end,
        pupil_id
    from cin_children
    where census_year between $lookback_census_year and $census_year
    union all
    select
        child_id, 0, 0, 0, 0, 0, 0, 0, 0, 0, cast(null as date),
        case when collection_year = $census_year then pupil_id end,
        pupil_id
    from care_children
    where collection_year between $lookback_census_year and $census_year
),

children as (
    select
        child_id,
        max(in_need) = 1 as in_need,
        max(in_need_any_point) = 1 as in_need_any_point,
        max(protection_plan) = 1 as protection_plan,
        max(protection_plan_any_point) = 1 as protection_plan_any_point,
        max(cin_plan) = 1 as cin_plan,
        max(looked_after) = 1 as looked_after,
        max(looked_after_any_point) = 1 as looked_after_any_point,
        max(ever_in_need) = 1 as ever_in_need,
        max(ever_on_plan) = 1 as ever_on_plan,
        min(spell_start) as spell_start,
        max(year_pupil_id) as pupil_id,
        max(window_pupil_id) as window_pupil_id
    from facts
    group by child_id
),

labels as (
    select social_care_group
    from (
        values
            ('CIN at 31 March'),
            ('CINO at 31 March'),
            ('CPPO at 31 March'),
            ('CLA at 31 March'),
            ('CLA 12 months at 31 March'),
            ('CLA less than 12 months at 31 March'),
            ('CIN at any point'),
            ('CINO at any point'),
            ('CPPO at any point'),
            ('CLA at any point'),
            ('CWSW'),
            ('Ever CIN - last 6 years'),
            ('Ever 6 CWSW')
    ) as listed (social_care_group)
),

child_groups as (
    -- Each child in each of its groups, reading `children` once. The hierarchy
    -- CLA > CPP > CIN makes CINO, CPPO and CLA exclusive (domain.md §1).
    select
        labels.social_care_group,
        children.child_id,
        case
            when labels.social_care_group in ('Ever CIN - last 6 years', 'Ever 6 CWSW') then children.window_pupil_id
            else children.pupil_id
        end as pupil_id,
        children.ever_in_need
    from labels
    cross join children
    where case labels.social_care_group
        when 'CIN at 31 March' then children.in_need or children.protection_plan or children.looked_after
        when 'CINO at 31 March' then children.in_need and not children.protection_plan and not children.looked_after
        when 'CPPO at 31 March' then children.protection_plan and not children.looked_after
        when 'CLA at 31 March' then children.looked_after
        -- Looked after continuously for 12 months: throughout the collection year.
        when 'CLA 12 months at 31 March' then children.looked_after and children.spell_start <= $period_start
        when 'CLA less than 12 months at 31 March' then children.looked_after and children.spell_start > $period_start
        when 'CIN at any point' then
            children.in_need_any_point or children.protection_plan_any_point or children.looked_after_any_point
        when 'CINO at any point' then
            children.in_need_any_point and not children.protection_plan_any_point and not children.looked_after_any_point
        when 'CPPO at any point' then children.protection_plan_any_point and not children.looked_after_any_point
        when 'CLA at any point' then children.looked_after_any_point
        -- The role extension's cohort: on a CIN plan or a child protection plan at 31
        -- March. Children looked after are the statutory cohort, reported beside it.
        when 'CWSW' then (children.cin_plan or children.protection_plan) and not children.looked_after
        -- In need at any point of the six collection years ending on 31 March.
        when 'Ever CIN - last 6 years' then children.ever_in_need
        -- On a CIN plan or a child protection plan on some day of the six years.
        when 'Ever 6 CWSW' then children.ever_on_plan and not children.looked_after
        else false
    end
),

all_pupils as (
    -- Pupils on roll at some point of the academic year, once each (pupil_years).
    select pupil_id
    from pupil_years
    where academic_year = $academic_year
),

ever_in_need_pupils as (
    select pupil_id
    from child_groups
    where social_care_group = 'Ever CIN - last 6 years'
      and pupil_id is not null
),

peers as (
    -- Pupils with no social worker in the six years: in none of the groups above. An
    -- aggregate rather than an outer join: it can spill under --memory-limit, where a
    -- join's build side cannot (and DataFusion 55 returned no rows for this query's
    -- `right join … where … is null`).
    select pupil_id
    from (
        select pupil_id, 0 as ever_in_need from all_pupils
        union all
        select pupil_id, 1 from ever_in_need_pupils
    ) as marked
    group by pupil_id
    having max(ever_in_need) = 0
),

final as (
    select 'All pupils comparison' as social_care_group, cast(null as string) as child_id, pupil_id
    from all_pupils
    union all
    select 'Never CIN - last 6 years', cast(null as string), pupil_id
    from peers
    union all
    select social_care_group, child_id, pupil_id
    from child_groups
)

select
    cast($academic_year as int) as academic_year,
    social_care_group,
    child_id,
    pupil_id
from final
-- No order: the engine writes the result as a table that measures aggregate, and at
-- national scale sorting 20M rows a year only costs memory.
