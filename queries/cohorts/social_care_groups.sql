-- name: social_care_groups
-- title: DfE social care groups at 31 March, at any point and over the look-back years, the role extension's plan-based groups, their peers and all pupils
-- kind: cohort
-- implements: "domain.md §1 (cohorts: CIN census rules, hierarchy CLA > CPP > CIN, respite and ReferralNFA excluded, the VSH plan-based CWSW cohorts) and §8 points 1-2"
-- grain: one row per academic year, group and person (or pupil, for All pupils comparison and its peers)
-- numerator: not applicable (membership)
-- denominator: not applicable (membership)
-- parameters:
--   academic_year: int32, the academic year as EES time_period (202122)
--   period_start: date, 1 April of the previous calendar year, start of the collection year
--   ever_cin_group: string, the label of the look-back group (Ever CIN - last 6 years, or Ever CIN - all years held)
--   never_cin_group: string, the label of its peers (Never CIN - last 6 years, or Never CIN - all years held)
--   ever_cwsw_group: string, the label of the look-back CWSW group (Ever 6 CWSW, or Ever CWSW - all years held)
-- output:
--   academic_year: int32, the academic year (202122)
--   social_care_group: string, the DfE group label
--   person_id: string, the child's person (persons.sql; null for All pupils comparison and its peers)
--   pupil_id: string, the person's pupil (null when no return gave the child a UPN)
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
-- Each person's facts (in need, on a plan, looked after: at 31 March, at any point, over
-- the look-back years) come from social_care_children; this query applies the hierarchy
-- and the groups' definitions to them. The groups listed are those of the default
-- look-back (six years, DfE's definition); with lookback_years=all the three look-back
-- groups carry the labels the parameters give (domain.md §1, statutory cohort).
--
-- Whether the data supports a group in a year (a missing return, CIN plans before
-- 2022, a six-year window reaching before the first census) is group_years' business:
-- this query lists whoever the data it has puts in each group.

with

children as (
    select *
    from social_care_children
    where academic_year = $academic_year
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
            ($ever_cin_group),
            ($ever_cwsw_group)
    ) as listed (social_care_group)
),

child_groups as (
    -- Each child in each of its groups, one pass over `children`. The hierarchy
    -- CLA > CPP > CIN makes CINO, CPPO and CLA exclusive (domain.md §1).
    select
        labels.social_care_group,
        children.person_id,
        children.pupil_id
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
        -- In need at any point of the look-back collection years ending on 31 March.
        when $ever_cin_group then children.ever_in_need
        -- On a CIN plan or a child protection plan on some day of the look-back years.
        when $ever_cwsw_group then children.ever_on_plan and not children.looked_after
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
    -- The pupils of the Ever CIN group, from the facts rather than child_groups (which
    -- DataFusion would work out a second time).
    select pupil_id
    from children
    where ever_in_need
      and pupil_id is not null
),

peers as (
    -- Pupils with no social worker in the look-back years: in none of the groups above. An
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
    select 'All pupils comparison' as social_care_group, cast(null as string) as person_id, pupil_id
    from all_pupils
    union all
    select $never_cin_group, cast(null as string), pupil_id
    from peers
    union all
    select social_care_group, person_id, pupil_id
    from child_groups
)

select
    cast($academic_year as int) as academic_year,
    social_care_group,
    person_id,
    pupil_id
from final
-- No order: the engine writes the result as a table that measures aggregate, and at
-- national scale sorting 20M rows a year only costs memory.
