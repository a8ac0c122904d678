-- name: coverage
-- title: How many of each group's children the LA's school census can see, and why the others are not matched
-- kind: measure
-- implements: "domain.md §1 (linking children to pupils: through the UPNs the returns carry) and §5 (an LA's school census covers its own schools: children placed or educated out of area have no school record)"
-- grain: one row per academic year and social care group (Total breakdowns only, since a child with no school record has no school characteristics)
-- numerator: children matched to a pupil on the school census that year; children with no UPN in any return; children whose UPN the census does not hold that year
-- denominator: children in the group (persons, persons.sql); pupils for All pupils comparison and Never CIN, which come from the census and are all matched
-- research_question: RQ5 visibility
-- indicators:
--   pt_matched: {estimator: proportion, numerator: t_matched, denominator: t_children, gap: false, label: Percentage of children matched to the school census, dp: 1}
-- counts:
--   t_children: {counts: children, label: Number of children in the group}
--   t_matched: {counts: children, of: t_children, label: Number of children matched to a school census record}
--   t_no_upn: {counts: children, of: t_children, label: Number of children with no UPN in any return}
--   t_upn_not_found: {counts: children, of: t_children, label: Number of children whose UPN no census record holds}
-- parameters:
--   academic_year: int32, the academic year as EES time_period (202122)
-- output:
--   academic_year: int32, the academic year (202122)
--   social_care_group: string, the DfE group label
--   phase_type_grouping: string, Total
--   sex: string, Total
--   sen_provision: string, Total
--   year_group: string, Total
--   t_children: int64, children in the group (persons), or pupils for the groups drawn from the census
--   t_matched: int64, children matched to a pupil with a school census record that year (on roll at some point of it)
--   t_no_upn: int64, children no return of any year gave a UPN (too young for school, or not recorded)
--   t_upn_not_found: int64, children with a UPN that no school census record of the year holds (placed or educated out of area, in a school whose census is not held, or not in school)
--   pt_matched: float64, % of the group's children matched
--
-- Every figure of the other measures counts matched children only: read them against
-- this one. t_children = t_matched + t_no_upn + t_upn_not_found.

with

members as (
    -- One row per person (or pupil) and group (social_care_groups).
    select
        social_care_group,
        count(*) as t_children,
        sum(case when pupil_id is null then 1 else 0 end) as t_no_upn
    from cohort
    where academic_year = $academic_year
    group by social_care_group
),

pupils as (
    -- The members with a pupil, with whether the year's census holds them (cohort_pupils).
    select
        social_care_group,
        sum(case when on_census then 1 else 0 end) as t_matched,
        sum(case when on_census then 0 else 1 end) as t_upn_not_found
    from cohort_pupils
    where academic_year = $academic_year
    group by social_care_group
)

select
    cast($academic_year as int) as academic_year,
    members.social_care_group,
    'Total' as phase_type_grouping,
    'Total' as sex,
    'Total' as sen_provision,
    'Total' as year_group,
    members.t_children,
    coalesce(pupils.t_matched, 0) as t_matched,
    members.t_no_upn,
    coalesce(pupils.t_upn_not_found, 0) as t_upn_not_found,
    100 * cast(coalesce(pupils.t_matched, 0) as double) / nullif(members.t_children, 0) as pt_matched
from pupils
right join members on pupils.social_care_group = members.social_care_group
order by members.social_care_group
