SELECT l.submission_id, l.kind, l.unit_code, l.record_id, l.record_unit_code, l.link_method,
       l.superseded_by IS NOT NULL AS is_duplicate, l.superseded_by,
       l.link_reason,
       CASE WHEN l.record_id IS NULL THEN coalesce(c.candidates, []::VARCHAR[]) END
           AS candidates,
       l.submitted_at, l.review_status, l.reviewed_at, l.declared_status, l.counts_this_week
FROM link l
LEFT JOIN cand c USING (submission_id)
