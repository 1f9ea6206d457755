COPY (
  WITH r AS (
    SELECT CAST(unit_code AS VARCHAR) AS unit_code, 'vehicle' AS kind,
           CAST(record_id AS VARCHAR) AS record_id,
           CAST(plate AS VARCHAR) AS record_key, CAST(vehicle_type AS VARCHAR) AS record_type,
           CAST(owner_name AS VARCHAR) AS person_name, CAST(owner_id AS VARCHAR) AS person_id,
           CAST(owner_address AS VARCHAR) AS address, CAST(status AS VARCHAR) AS status,
           CAST(owner_kind AS VARCHAR) = 'organization' AS owner_is_org,
           CAST(status_reason AS VARCHAR) AS reason_en,
           CAST(status_reason_vi AS VARCHAR) AS reason_vi,
           CAST(identity_result AS VARCHAR) AS identity_result,
           CAST(last_submitted_at AS TIMESTAMP) AS last_submitted_at,
           CAST(review_status AS VARCHAR) AS review_status,
           CAST(reviewed_at AS TIMESTAMP) AS reviewed_at,
           CAST(submission_id AS VARCHAR) AS submission_id,
           CAST(n_submissions AS BIGINT) AS n_submissions,
           CAST(population_unit_code AS VARCHAR) AS residence_unit
    FROM read_parquet($vehicles) WHERE status <> 'cleaned'
    UNION ALL
    SELECT CAST(unit_code AS VARCHAR), 'licence', CAST(record_id AS VARCHAR),
           CAST(licence_no AS VARCHAR), CAST(licence_class AS VARCHAR),
           CAST(holder_name AS VARCHAR), CAST(holder_id AS VARCHAR), NULL,
           CAST(status AS VARCHAR), false,
           CAST(status_reason AS VARCHAR), CAST(status_reason_vi AS VARCHAR),
           CAST(identity_result AS VARCHAR), CAST(last_submitted_at AS TIMESTAMP),
           CAST(review_status AS VARCHAR), CAST(reviewed_at AS TIMESTAMP),
           CAST(submission_id AS VARCHAR), CAST(n_submissions AS BIGINT),
           CAST(population_unit_code AS VARCHAR)
    FROM read_parquet($licences) WHERE status <> 'cleaned'
  ),
  rejected AS (  -- reason and phone of the rejected submission a citizen must redo
    SELECT CAST(submission_id AS VARCHAR) AS submission_id,
           CAST(reject_reason AS VARCHAR) AS reject_reason, CAST(phone AS VARCHAR) AS phone
    FROM read_parquet($submissions)
    WHERE review_status = 'rejected'
  )
  SELECT r.*, rejected.reject_reason, rejected.phone
  FROM r LEFT JOIN rejected
    ON r.status = 'rejected_awaiting_resubmission' AND rejected.submission_id = r.submission_id
  ORDER BY r.unit_code
) TO $target (FORMAT parquet, ROW_GROUP_SIZE 20000)
