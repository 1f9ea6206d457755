-- One row per key (its first holder): plate, chassis, licence number. Each submission meets
-- its key by equality first (the plate as written, the chassis, the licence number), carrying
-- its own columns along, so the winner per record and the link table need no second join of
-- the submissions on submission_id.
CREATE OR REPLACE TEMP TABLE keyed AS
WITH by_plate AS (
    SELECT r.record_id, r.unit_code, r.plate_key AS k, coalesce(h.n_holders, 1) AS n
    FROM reg_veh_plate r
    LEFT JOIN reg_veh_holders h ON h.key_no = 0 AND h.record_id = r.record_id
    WHERE r.plate_key IS NOT NULL AND (h.record_id IS NULL OR h.first_id = r.record_id)
), by_chassis AS (
    SELECT r.record_id, r.unit_code, r.chassis_key AS k, coalesce(h.n_holders, 1) AS n
    FROM reg_veh r LEFT JOIN reg_veh_holders h ON h.key_no = 1 AND h.record_id = r.record_id
    WHERE r.chassis_key IS NOT NULL AND (h.record_id IS NULL OR h.first_id = r.record_id)
), by_licence AS (
    SELECT r.record_id, r.unit_code, r.licence_no AS k, coalesce(h.n_holders, 1) AS n
    FROM reg_lic r LEFT JOIN reg_lic_holders h ON h.key_no = 0 AND h.record_id = r.record_id
    WHERE r.licence_no IS NOT NULL AND (h.record_id IS NULL OR h.first_id = r.record_id)
)
SELECT s.*,
       struct_pack(record_id := p.record_id, unit_code := p.unit_code, n := p.n) AS exact,
       c.record_id AS c_record_id, c.unit_code AS c_unit_code, c.n AS c_n,
       l.record_id AS l_record_id, l.unit_code AS l_unit_code, l.n AS l_n
FROM sub s
LEFT JOIN by_plate p ON p.k = CASE WHEN s.kind = 'vehicle' THEN s.plate_key END
LEFT JOIN by_chassis c ON c.k = CASE WHEN s.kind = 'vehicle' THEN s.chassis_key END
LEFT JOIN by_licence l ON l.k = CASE WHEN s.kind = 'licence' THEN s.licence_no END
WHERE s.kind IN ('vehicle', 'licence');

-- A vehicle submission whose plate no key holds as written: a plate key keeps the boundary
-- between series and number (29B-11234, 29B1-1234); a key without one (29B11234: run
-- together, read both ways) meets every key it spells. One reading held: it links there;
-- two: no plate link (only these few submissions are grouped).
CREATE OR REPLACE TEMP TABLE plate_reads AS
WITH by_plate AS (
    SELECT r.record_id, r.unit_code, r.plate_key AS k, replace(r.plate_key, '-', '') AS run,
           coalesce(h.n_holders, 1) AS n
    FROM reg_veh_plate r
    LEFT JOIN reg_veh_holders h ON h.key_no = 0 AND h.record_id = r.record_id
    WHERE r.plate_key IS NOT NULL AND (h.record_id IS NULL OR h.first_id = r.record_id)
        AND (NOT contains(r.plate_key, '-')
             OR replace(r.plate_key, '-', '') IN (SELECT replace(plate_key, '-', '') FROM keyed
                 WHERE kind = 'vehicle' AND exact.record_id IS NULL
                   AND NOT contains(plate_key, '-')))
)
SELECT k.submission_id, count(*) = 1 AS linked,
       any_value(struct_pack(record_id := p.record_id, unit_code := p.unit_code, n := p.n))
           AS rec
FROM keyed k JOIN by_plate p ON p.run = replace(k.plate_key, '-', '')
WHERE k.kind = 'vehicle' AND k.exact.record_id IS NULL
  AND (NOT contains(p.k, '-') OR NOT contains(k.plate_key, '-'))
GROUP BY k.submission_id;

-- each submission and the record it links to: the plate (as written, else its one reading),
-- else the chassis (vehicles); the licence number (licences)
CREATE OR REPLACE TEMP VIEW hit AS
WITH plate AS (
    SELECT k.*, r.linked AS read_linked,
           CASE WHEN k.exact.record_id IS NOT NULL THEN k.exact
                WHEN r.linked THEN r.rec END AS p
    FROM keyed k LEFT JOIN plate_reads r USING (submission_id)
)
SELECT * EXCLUDE (exact, read_linked, p, c_record_id, c_unit_code, c_n, l_record_id,
                  l_unit_code, l_n),
       CASE WHEN p IS NOT NULL THEN 1 WHEN c_record_id IS NOT NULL THEN 2
            WHEN l_record_id IS NOT NULL THEN 3 END AS method_rank,
       coalesce(p.record_id, c_record_id, l_record_id) AS record_id,
       CASE WHEN p IS NOT NULL THEN p.unit_code WHEN c_record_id IS NOT NULL THEN c_unit_code
            ELSE l_unit_code END AS record_unit_code,
       CASE WHEN p IS NOT NULL THEN p.n WHEN c_record_id IS NOT NULL THEN c_n ELSE l_n END
           AS n_same_key,
       coalesce(NOT read_linked, false) AS plate_read_both_ways
FROM plate;

-- per record: the winning submission (the latest; ties: the larger submission_id) and how
-- many submissions counted for the week
CREATE OR REPLACE TEMP TABLE record_subs AS
SELECT kind, record_id,
       max(struct_pack(at := submitted_at, id := submission_id, review := review_status,
                       reviewed := reviewed_at, declared := declared_status)) AS latest,
       count(*) AS n_submissions, min(submitted_at) AS first_submitted_at,
       max(submitted_at) AS last_submitted_at
FROM hit
WHERE record_id IS NOT NULL AND counts_this_week
GROUP BY kind, record_id;

-- a view, not a table: the week's run reads it once whole (submission_links, written straight
-- to Parquet) and the candidates, self-report and counts read a few of its columns; storing
-- 7.3 M rows of it cost more than the join it saves
CREATE OR REPLACE TEMP VIEW link AS
SELECT h.* EXCLUDE (record_id, record_unit_code, method_rank, n_same_key, plate_read_both_ways),
       h.record_id, h.record_unit_code,
       CASE h.method_rank WHEN 1 THEN 'plate' WHEN 2 THEN 'chassis'
            WHEN 3 THEN 'licence_no' ELSE 'none' END AS link_method,
       CASE WHEN h.record_id IS NULL AND h.kind = 'licence' THEN 'no_record_licence'
            WHEN h.record_id IS NULL AND h.plate_read_both_ways THEN 'ambiguous_plate'
            WHEN h.record_id IS NULL THEN 'no_record_vehicle'
            WHEN h.n_same_key > 1 THEN 'original_of_duplicates'
            WHEN h.method_rank = 1 THEN 'plate_match'
            WHEN h.method_rank = 2 THEN 'chassis_match'
            ELSE 'licence_no_match' END AS link_reason,
       CASE WHEN h.counts_this_week AND w.latest.id <> h.submission_id THEN w.latest.id END
           AS superseded_by
FROM hit h
LEFT JOIN record_subs w ON w.kind = h.kind AND w.record_id = h.record_id;

-- the unmatched submissions, stored (a few hundred thousand rows): the candidate search reads
-- them twice and plans its joins on their true count
CREATE OR REPLACE TEMP TABLE unmatched_sub AS
SELECT submission_id, kind, plate_key, licence_no FROM hit WHERE record_id IS NULL;
