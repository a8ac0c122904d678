-- name: person_links
-- title: The links between ids that persons follows, and each child's least UPN
-- kind: cohort
-- table: person_links
-- once: true
-- implements: "domain.md §1 (linking children to pupils: through every UPN the child's returns carry) and §5 (FormerUPN in the CIN census, formerupn in the school census)"
-- grain: one row per pupil-to-pupil link in each direction, and per child a return gives a UPN
-- numerator: not applicable (identity)
-- denominator: not applicable (identity)
-- parameters: {}
-- output:
--   link: string, pupil (a link from one pupil id to another) or child (a child id and the least of its UPNs)
--   one: string, a pupil_id, or the child_id
--   other: string, the linked pupil_id, or the child's least pupil_id
--
-- Made once, as a table, for persons.sql to search: DataFusion computes a CTE again
-- wherever it is referenced, and a recursive query's step is run again each round, so
-- a search over CTEs read every return once a round (3.4 s of a 17 s LA run).

with

child_pupils as (
    -- Every UPN a child's returns give.
    select distinct child_id, pupil_id
    from (
        select child_id, pupil_id from cin_children where pupil_id is not null
        union all
        select child_id, former_pupil_id as pupil_id from cin_children where former_pupil_id is not null
        union all
        select child_id, pupil_id from care_children where pupil_id is not null
    ) as given
),

child_first as (
    select child_id, min(pupil_id) as first_pupil, count(*) as pupils
    from child_pupils
    group by child_id
),

links as (
    -- Pupil to pupil: a former UPN, and each further UPN of a child to its least.
    select pupil_id as one, former_pupil_id as other
    from pupil_terms
    where former_pupil_id is not null
    union all
    select several.first_pupil as one, child_pupils.pupil_id as other
    -- The children with more than one UPN, the smaller side, first: DataFusion builds a
    -- hash join's table from its left input.
    from (
        select child_id, first_pupil
        from child_first
        where pupils > 1
    ) as several
    inner join child_pupils on child_pupils.child_id = several.child_id
    where child_pupils.pupil_id <> several.first_pupil
)

-- Both directions, once each, then every child with its least UPN.
select distinct 'pupil' as link, one, other
from (
    select one, other from links
    union all
    select other as one, one as other from links
) as both_ways
union all
select 'child' as link, child_id as one, first_pupil as other
from child_first
-- No order: a table persons.sql reads.
