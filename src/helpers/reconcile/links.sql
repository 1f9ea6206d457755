CREATE OR REPLACE TEMP TABLE hit AS
WITH by_plate AS (
    SELECT r.record_id, r.unit_code, r.plate_key AS k, replace(r.plate_key, '-', '') AS run,
           coalesce(h.n_holders, 1) AS n
    FROM reg_veh_plate r
    LEFT JOIN reg_veh_holders h ON h.key_no = 0 AND h.record_id = r.record_id
    WHERE r.plate_key IS NOT NULL AND (h.record_id IS NULL OR h.first_id = r.record_id)
), plate_reads AS (
    -- a plate key keeps the boundary between series and number (29B-11234, 29B1-1234); a key
    -- without one (29B11234: run together, read both ways) meets every key it spells
    SELECT s.submission_id, p.k = s.plate_key AS exact,
           struct_pack(record_id := p.record_id, unit_code := p.unit_code, n := p.n) AS rec
    FROM sub s JOIN by_plate p ON p.run = replace(s.plate_key, '-', '')
    WHERE s.kind = 'vehicle'
      AND (p.k = s.plate_key OR NOT contains(p.k, '-') OR NOT contains(s.plate_key, '-'))
), by_reading AS (
    -- the key as written, else the one reading the registry holds; two readings: no plate link
    SELECT submission_id, bool_or(exact) OR count(*) = 1 AS linked, arg_max(rec, exact) AS rec
    FROM plate_reads GROUP BY submission_id
), by_chassis AS (
    SELECT r.record_id, r.unit_code, r.chassis_key AS k, coalesce(h.n_holders, 1) AS n
    FROM reg_veh r LEFT JOIN reg_veh_holders h ON h.key_no = 1 AND h.record_id = r.record_id
    WHERE r.chassis_key IS NOT NULL AND (h.record_id IS NULL OR h.first_id = r.record_id)
), by_licence AS (
    SELECT r.record_id, r.unit_code, r.licence_no AS k, coalesce(h.n_holders, 1) AS n
    FROM reg_lic r LEFT JOIN reg_lic_holders h ON h.key_no = 0 AND h.record_id = r.record_id
    WHERE r.licence_no IS NOT NULL AND (h.record_id IS NULL OR h.first_id = r.record_id)
)
SELECT s.submission_id,
       CASE WHEN p.linked THEN 1 WHEN c.record_id IS NOT NULL THEN 2 END AS method_rank,
       CASE WHEN p.linked THEN p.rec.record_id ELSE c.record_id END AS record_id,
       CASE WHEN p.linked THEN p.rec.unit_code ELSE c.unit_code END AS record_unit_code,
       CASE WHEN p.linked THEN p.rec.n ELSE c.n END AS n_same_key,
       coalesce(NOT p.linked, false) AS plate_read_both_ways
FROM sub s
LEFT JOIN by_reading p USING (submission_id)
LEFT JOIN by_chassis c ON c.k = s.chassis_key
WHERE s.kind = 'vehicle'
UNION ALL
SELECT s.submission_id, CASE WHEN l.record_id IS NOT NULL THEN 3 END, l.record_id, l.unit_code,
       l.n, false
FROM sub s LEFT JOIN by_licence l ON l.k = s.licence_no
WHERE s.kind = 'licence';

-- per record: the winning submission (the latest; ties: the larger submission_id) and how
-- many submissions counted for the week
CREATE OR REPLACE TEMP TABLE record_subs AS
SELECT s.kind, h.record_id,
       max(struct_pack(at := s.submitted_at, id := s.submission_id, review := s.review_status,
                       reviewed := s.reviewed_at, declared := s.declared_status)) AS latest,
       count(*) AS n_submissions, min(s.submitted_at) AS first_submitted_at,
       max(s.submitted_at) AS last_submitted_at
FROM sub s JOIN hit h USING (submission_id)
WHERE h.record_id IS NOT NULL AND s.counts_this_week
GROUP BY s.kind, h.record_id;

CREATE OR REPLACE TEMP TABLE link AS
SELECT s.*, h.record_id, h.record_unit_code,
       CASE h.method_rank WHEN 1 THEN 'plate' WHEN 2 THEN 'chassis'
            WHEN 3 THEN 'licence_no' ELSE 'none' END AS link_method,
       CASE WHEN h.record_id IS NULL AND s.kind = 'licence' THEN 'no_record_licence'
            WHEN h.record_id IS NULL AND h.plate_read_both_ways THEN 'ambiguous_plate'
            WHEN h.record_id IS NULL THEN 'no_record_vehicle'
            WHEN h.n_same_key > 1 THEN 'original_of_duplicates'
            WHEN h.method_rank = 1 THEN 'plate_match'
            WHEN h.method_rank = 2 THEN 'chassis_match'
            ELSE 'licence_no_match' END AS link_reason,
       CASE WHEN s.counts_this_week AND w.latest.id <> s.submission_id THEN w.latest.id END
           AS superseded_by
FROM sub s
JOIN hit h USING (submission_id)
LEFT JOIN record_subs w ON w.kind = s.kind AND w.record_id = h.record_id;
