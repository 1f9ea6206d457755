unmatched_var AS (
    SELECT submission_id, kind, k, CASE WHEN i = 0 THEN k ELSE k[1:i - 1] || k[i + 1:] END AS v
    FROM pos
), registry_pos AS (
    SELECT kind, record_id, k, unnest(range(0, length(k) + 1)) AS i FROM registry_keys
), registry_var AS (
    SELECT kind, record_id, k, CASE WHEN i = 0 THEN k ELSE k[1:i - 1] || k[i + 1:] END AS v
    FROM registry_pos
), near AS (
    SELECT DISTINCT u.submission_id, g.record_id
    FROM unmatched_var u JOIN registry_var g ON u.kind = g.kind AND u.v = g.v
    WHERE levenshtein(u.k, g.k) = 1
)
