SELECT list_key, kind, {kind_label} AS kind_label, record_id, record_key,
       CASE WHEN kind = 'vehicle' THEN {vehicle_type} ELSE record_type END AS record_type,
       person_name, person_id, owner_is_org, address, {reason} AS reason,
       {identity} AS identity_label, {review} AS review_label,
       last_submitted_at, reviewed_at, submission_id, n_submissions, reject_reason, {phone} AS phone,
       {residence} AS residence_unit_name,
       date_diff('day', CAST(CASE WHEN status = 'pending_review' THEN last_submitted_at
                                  ELSE reviewed_at END AS DATE), DATE {week}) AS days_waiting
FROM recs WHERE list_key IS NOT NULL
ORDER BY list_key,
         CASE WHEN list_key = 'pending' THEN last_submitted_at END NULLS LAST,
         CASE WHEN list_key = 'rejected' THEN reviewed_at END NULLS LAST,
         kind = 'licence', address IS NULL, street_key, num_key, address, person_name, record_id
