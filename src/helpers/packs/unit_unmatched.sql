SELECT submission_id, kind, {kind_label} AS kind_label, submitted_at, record_key, chassis_no,
       person_name, person_id, {phone} AS phone, {review} AS review_label, {link} AS link_label
FROM read_parquet($unmatched) WHERE unit_code = $unit
ORDER BY submitted_at NULLS LAST, submission_id
