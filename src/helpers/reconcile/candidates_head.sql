CREATE OR REPLACE TEMP TABLE cand AS
WITH unmatched AS (
    -- plates compared on their letters and digits: a key read both ways (no boundary) is one
    -- edit from what its readings are one edit from
    SELECT submission_id, kind,
           CASE kind WHEN 'vehicle' THEN replace(plate_key, '-', '') ELSE licence_no END AS k
    FROM unmatched_sub
), pos AS (
    SELECT submission_id, kind, k, unnest(range(0, length(k) + 1)) AS i
    FROM unmatched WHERE k IS NOT NULL
), registry_keys AS (
    SELECT 'vehicle' AS kind, record_id, replace(plate_key, '-', '') AS k
    FROM reg_veh WHERE plate_key IS NOT NULL
    UNION ALL
    SELECT 'licence', record_id, licence_no FROM reg_lic WHERE licence_no IS NOT NULL
),
