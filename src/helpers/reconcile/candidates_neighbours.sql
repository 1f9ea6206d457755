alphabet AS (
    SELECT 'vehicle' AS kind, unnest(string_split('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', ''))
        AS c
    UNION ALL
    SELECT 'licence', unnest(string_split('0123456789', ''))
), near_keys AS (
    SELECT submission_id, kind, k[1:i - 1] || k[i + 1:] AS v FROM pos WHERE i >= 1
    UNION ALL
    SELECT p.submission_id, p.kind, k[1:i - 1] || a.c || k[i + 1:]
    FROM pos p JOIN alphabet a ON a.kind = p.kind WHERE i >= 1 AND a.c <> k[i]
    UNION ALL
    SELECT p.submission_id, p.kind, k[1:i] || a.c || k[i + 1:]
    FROM pos p JOIN alphabet a ON a.kind = p.kind
), near AS (
    SELECT DISTINCT n.submission_id, r.record_id
    FROM near_keys n JOIN registry_keys r ON r.kind = n.kind AND r.k = n.v
)
