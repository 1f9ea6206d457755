COPY (
  SELECT CAST(l.unit_code AS VARCHAR) AS unit_code,
         CAST(l.submission_id AS VARCHAR) AS submission_id, CAST(l.kind AS VARCHAR) AS kind,
         CAST(s.submitted_at AS TIMESTAMP) AS submitted_at,
         coalesce(CAST(s.plate AS VARCHAR), CAST(s.licence_no AS VARCHAR)) AS record_key,
         CAST(s.chassis_no AS VARCHAR) AS chassis_no, CAST(s.full_name AS VARCHAR) AS person_name,
         CAST(s.citizen_id AS VARCHAR) AS person_id, CAST(s.phone AS VARCHAR) AS phone,
         CAST(s.review_status AS VARCHAR) AS review_status,
         CAST(l.link_reason AS VARCHAR) AS link_reason
  FROM (SELECT * FROM read_parquet($links) WHERE record_id IS NULL) l
  JOIN read_parquet($submissions) s
    ON CAST(s.submission_id AS VARCHAR) = CAST(l.submission_id AS VARCHAR)
  ORDER BY unit_code
) TO $target (FORMAT parquet, ROW_GROUP_SIZE 20000)
