WITH joined AS (
    SELECT r.*, p.citizen_id IS NOT NULL AS in_population,
           p.status AS population_status, p.unit_code AS population_unit_code,
           p.name_key AS p_name_key, p.dob AS p_dob, p.dob_year AS p_dob_year,
           d.record_id IS NOT NULL AS is_dup,
           w.submission_id, w.review_status, w.reviewed_at, w.declared_status,
           coalesce(w.n_submissions, 0) AS n_submissions, w.first_submitted_at,
           w.last_submitted_at
    FROM {reg} r
    LEFT JOIN pop p ON NOT r.is_org AND r.id_kind = 'cccd' AND p.citizen_id = r.{id_col}
    LEFT JOIN {reg}_dup d ON d.record_id = r.record_id
    LEFT JOIN (
        SELECT record_id, latest.id AS submission_id, latest.review AS review_status,
               latest.reviewed AS reviewed_at, latest.declared AS declared_status,
               n_submissions, first_submitted_at, last_submitted_at
        FROM record_subs WHERE kind = {kind}
    ) w ON w.record_id = r.record_id
), checks AS (
    SELECT *,
        CASE WHEN NOT in_population THEN NULL
             WHEN name_key IS NULL OR p_name_key IS NULL THEN 'not_compared'
             WHEN name_key = p_name_key THEN 'match'
             WHEN split_part(name_key, ' ', 1) = split_part(p_name_key, ' ', 1)
                  AND list_sort(string_split(name_key, ' '))
                      = list_sort(string_split(p_name_key, ' '))
                  THEN 'match_middle_swapped'
             WHEN levenshtein(name_key, p_name_key) <= 1 THEN 'match_name_typo'
             ELSE 'name_mismatch' END AS name_check,
        CASE WHEN NOT in_population THEN NULL
             WHEN dob IS NULL AND dob_year IS NULL THEN 'not_compared'
             WHEN dob IS NOT NULL AND p_dob IS NOT NULL THEN
                 CASE WHEN dob = p_dob THEN 'match'
                      WHEN year(dob) = year(p_dob) AND month(dob) = day(p_dob)
                           AND day(dob) = month(p_dob) THEN 'dob_day_month_swapped'
                      ELSE 'dob_mismatch' END
             -- one side holds the year only: the years must agree
             WHEN coalesce(year(dob), dob_year) = coalesce(year(p_dob), p_dob_year)
                  THEN 'match_year_only'
             ELSE 'dob_mismatch' END AS dob_check,
        -- a CCCD's 4th digit is its holder's century and sex (0/1 = 1900s, 2/3 = 2000s, ...)
        -- and the 5th-6th the last two digits of the birth year (Thông tư 07/2016/TT-BCA)
        CASE WHEN NOT in_population OR coalesce(year(p_dob), p_dob_year) IS NULL THEN NULL
             WHEN 1900 + 100 * (CAST({id_col}[4] AS INTEGER) // 2)
                  + CAST({id_col}[5:6] AS INTEGER) = coalesce(year(p_dob), p_dob_year)
                  THEN 'match'
             ELSE 'id_birth_mismatch' END AS id_birth_check
    FROM joined
), result AS (
    SELECT *,
        CASE WHEN is_org THEN 'not_checked'
             WHEN id_kind IS DISTINCT FROM 'cccd' THEN 'invalid_id'
             WHEN NOT in_population THEN 'id_not_in_population'
             WHEN name_check = 'name_mismatch' THEN 'name_mismatch'
             WHEN dob_check IN ('dob_day_month_swapped', 'dob_mismatch') THEN dob_check
             WHEN id_birth_check = 'id_birth_mismatch' THEN id_birth_check
             WHEN name_check IN ('match_name_typo', 'match_middle_swapped') THEN name_check
             WHEN dob_check = 'match_year_only' THEN 'match_year_only'
             ELSE 'match' END AS identity_result
    FROM checks
), x AS (
    SELECT *,
       CASE WHEN identity_result IN ({ok}) THEN
                -- tolerated differences on both sides lower the confidence together
                (CASE name_check WHEN 'match_name_typo' THEN {typo}
                     WHEN 'match_middle_swapped' THEN {swapped}
                     WHEN 'not_compared' THEN 0.8 ELSE 1.0 END)
                * (CASE dob_check WHEN 'match_year_only' THEN {year_only}
                     WHEN 'not_compared' THEN 0.8 ELSE 1.0 END)
            ELSE {conf} END AS identity_confidence
    FROM result
), holds AS (
    SELECT x.*, list_filter([{conditions}], lambda s: s IS NOT NULL) AS holding FROM x
), decided AS (
    SELECT holds.* EXCLUDE (holding), holding[1] AS status, holding[2:] AS flags FROM holds
)
SELECT {columns},
       CASE WHEN s.status = 'identity_mismatch'
            THEN rs.reason_en || ' (' || il.label_en || ')' ELSE rs.reason_en END
           AS status_reason,
       CASE WHEN s.status = 'identity_mismatch'
            THEN rs.reason_vi || ' (' || il.label_vi || ')' ELSE rs.reason_vi END
           AS status_reason_vi
FROM decided s
LEFT JOIN status_reasons rs ON rs.status = s.status
LEFT JOIN identity_labels il ON il.identity_result = s.identity_result
