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

protection_plans_window as (
    select child_id, census_year, plan_start_date, plan_end_date
    from cin_child_protection_plans
    where census_year between $lookback_census_year and $census_year
),

cin_plans_window as (
    select child_id, census_year, plan_start_date, plan_end_date
    from cin_plans
    where census_year between $lookback_census_year and $census_year
),

care_episodes_window as (
    -- Short breaks (legal status V3, V4) are respite, not looked after (domain.md §1).
    select child_id, collection_year, start_date, end_date
    from care_episodes
    where collection_year between $lookback_census_year and $census_year
      and coalesce(legal_status, '') not in ('V3', 'V4')
),

child_links as (
    select child_id, pupil_id from cin_children where census_year = $census_year
    union all
    select child_id, pupil_id from care_children where collection_year = $census_year
),

pupils as (
    select child_id, max(pupil_id) as pupil_id
    from child_links
    group by child_id
),

window_links as (
    -- For the six-year groups a child links to a pupil through any year's return.
    select child_id, pupil_id from cin_children
    where census_year between $lookback_census_year and $census_year
    union all
    select child_id, pupil_id from care_children
    where collection_year between $lookback_census_year and $census_year
),

window_pupils as (
    select child_id, max(pupil_id) as pupil_id
    from window_links
    group by child_id
),

in_need as (
    -- CIN at 31 March: referred on or before it, not closed by it (domain.md §1).
    select distinct child_id
    from cin_episodes_window
    where census_year = $census_year
      and referral_date <= $reference_date
      and (closure_date is null or closure_date > $reference_date)
),

in_need_any_point as (
    -- Open on some day of the collection year: a closure on 1 April still counts.
    select distinct child_id
    from cin_episodes_window
    where census_year = $census_year
      and referral_date <= $reference_date
      and (closure_date is null or closure_date >= $period_start)
),

on_protection_plan as (
    select distinct child_id
    from protection_plans_window
    where census_year = $census_year
      and plan_start_date <= $reference_date
      and (plan_end_date is null or plan_end_date > $reference_date)
),

on_protection_plan_any_point as (
    select distinct child_id
    from protection_plans_window
    where census_year = $census_year
      and plan_start_date <= $reference_date
      and (plan_end_date is null or plan_end_date >= $period_start)
),

on_cin_plan as (
    select distinct child_id
    from cin_plans_window
    where census_year = $census_year
      and plan_start_date <= $reference_date
      and (plan_end_date is null or plan_end_date > $reference_date)
),

care_this_year as (
    select child_id, start_date, end_date
    from care_episodes_window
    where collection_year = $census_year
),

care_previous as (
    select
        child_id,
        start_date,
        end_date,
        lag(end_date) over (partition by child_id order by start_date) as previous_end
    from care_this_year
),

care_spells as (
    -- A spell of care continues while each episode starts the day the previous ended.
    select
        child_id,
        start_date,
        end_date,
        sum(case when previous_end is null or start_date > previous_end then 1 else 0 end)
            over (partition by child_id order by start_date rows between unbounded preceding and current row) as spell
    from care_previous
),

spell_starts as (
    select child_id, spell, min(start_date) as spell_start
    from care_spells
    group by child_id, spell
),

looked_after as (
    select care_spells.child_id, min(spell_starts.spell_start) as spell_start
    from care_spells
    inner join spell_starts
        on care_spells.child_id = spell_starts.child_id
        and care_spells.spell = spell_starts.spell
    where care_spells.start_date <= $reference_date
      and (care_spells.end_date is null or care_spells.end_date > $reference_date)
    group by care_spells.child_id
),

looked_after_any_point as (
    select distinct child_id
    from care_this_year
    where start_date <= $reference_date
      and (end_date is null or end_date >= $period_start)
),

everyone as (
    select child_id from in_need
    union
    select child_id from on_protection_plan
    union
    select child_id from looked_after
),

classified as (
    select
        everyone.child_id,
        looked_after.child_id is not null as is_looked_after,
        looked_after.spell_start,
        on_protection_plan.child_id is not null as is_on_protection_plan
    from everyone
    left join looked_after on everyone.child_id = looked_after.child_id
    left join on_protection_plan on everyone.child_id = on_protection_plan.child_id
),

everyone_any_point as (
    select child_id from in_need_any_point
    union
    select child_id from on_protection_plan_any_point
    union
    select child_id from looked_after_any_point
),

classified_any_point as (
    select
        everyone_any_point.child_id,
        looked_after_any_point.child_id is not null as is_looked_after,
        on_protection_plan_any_point.child_id is not null as is_on_protection_plan
    from everyone_any_point
    left join looked_after_any_point
        on everyone_any_point.child_id = looked_after_any_point.child_id
    left join on_protection_plan_any_point
        on everyone_any_point.child_id = on_protection_plan_any_point.child_id
),

ever_in_need as (
    -- In need at any point of the six collection years ending on 31 March: every
    -- episode in those returns that was open on a day from lookback_start on.
    select child_id from cin_episodes_window
    where referral_date <= $reference_date
      and (closure_date is null or closure_date >= $lookback_start)
    union
    select child_id from protection_plans_window
    where plan_start_date <= $reference_date
      and (plan_end_date is null or plan_end_date >= $lookback_start)
    union
    select child_id from care_episodes_window
    where start_date <= $reference_date
      and (end_date is null or end_date >= $lookback_start)
),

cwsw as (
    -- The role extension's cohort: on a CIN plan or a child protection plan at 31 March.
    -- Children looked after are the statutory cohort, reported beside it (domain.md §1).
    select child_id from on_cin_plan
    union
    select child_id from on_protection_plan
),

ever_on_plan as (
    -- On a CIN plan or a child protection plan on some day of the six years.
    select child_id from cin_plans_window
    where plan_start_date <= $reference_date
      and (plan_end_date is null or plan_end_date >= $lookback_start)
    union
    select child_id from protection_plans_window
    where plan_start_date <= $reference_date
      and (plan_end_date is null or plan_end_date >= $lookback_start)
),

groups as (
    -- The hierarchy CLA > CPP > CIN makes CINO, CPPO and CLA exclusive (domain.md §1).
    select child_id, 'CIN at 31 March' as social_care_group from classified
    union all
    select child_id, 'CINO at 31 March' from classified where not is_looked_after and not is_on_protection_plan
    union all
    select child_id, 'CPPO at 31 March' from classified where is_on_protection_plan and not is_looked_after
    union all
    select child_id, 'CLA at 31 March' from classified where is_looked_after
    union all
    -- Looked after continuously for 12 months: throughout the collection year.
    select child_id, 'CLA 12 months at 31 March' from classified where is_looked_after and spell_start <= $period_start
    union all
    select child_id, 'CLA less than 12 months at 31 March' from classified where is_looked_after and spell_start > $period_start
    union all
    select child_id, 'CIN at any point' from classified_any_point
    union all
    select child_id, 'CINO at any point' from classified_any_point where not is_looked_after and not is_on_protection_plan
    union all
    select child_id, 'CPPO at any point' from classified_any_point where is_on_protection_plan and not is_looked_after
    union all
    select child_id, 'CLA at any point' from classified_any_point where is_looked_after
    union all
    select cwsw.child_id, 'CWSW' from cwsw
    left join looked_after on cwsw.child_id = looked_after.child_id
    where looked_after.child_id is null
),

window_groups as (
    select child_id, 'Ever CIN - last 6 years' as social_care_group from ever_in_need
    union all
    select ever_on_plan.child_id, 'Ever 6 CWSW' from ever_on_plan
    left join looked_after on ever_on_plan.child_id = looked_after.child_id
    where looked_after.child_id is null
),

all_pupils as (
    -- Pupils on roll at some point of the academic year, once each (pupil_years).
    select pupil_id
    from pupil_years
    where academic_year = $academic_year
),

ever_in_need_pupils as (
    select distinct window_pupils.pupil_id
    from ever_in_need
    inner join window_pupils on ever_in_need.child_id = window_pupils.child_id
    where window_pupils.pupil_id is not null
),

peers as (
    -- Pupils with no social worker in the six years: in none of the groups above.
    select all_pupils.pupil_id
    from all_pupils
    left join ever_in_need_pupils on all_pupils.pupil_id = ever_in_need_pupils.pupil_id
    where ever_in_need_pupils.pupil_id is null
),

final as (
    select 'All pupils comparison' as social_care_group, cast(null as string) as child_id, pupil_id
    from all_pupils
    union all
    select 'Never CIN - last 6 years', cast(null as string), pupil_id
    from peers
    union all
    select groups.social_care_group, groups.child_id, pupils.pupil_id
    from groups
    left join pupils on groups.child_id = pupils.child_id
    union all
    select window_groups.social_care_group, window_groups.child_id, window_pupils.pupil_id
    from window_groups
    left join window_pupils on window_groups.child_id = window_pupils.child_id
)

select
    cast($academic_year as int) as academic_year,
    social_care_group,
    child_id,
    pupil_id
from final
-- No order: the engine writes the result as a table that measures aggregate, and at
-- national scale sorting 20M rows a year only costs memory.
