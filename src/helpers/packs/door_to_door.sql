WITH r AS (
  SELECT *, nullif(regexp_extract(coalesce(address, ''), {group_pattern}, 1), '') AS group_txt
  FROM {source} WHERE {where}
),
g AS (SELECT *, CAST(group_txt AS INTEGER) AS group_no FROM r)
SELECT CASE WHEN group_no IS NULL THEN {no_group}
            ELSE replace({group_word}, '{{n}}', CAST(group_no AS VARCHAR)) END AS group_label,
       coalesce(address, {no_address}) AS household, address, kind, {kind_label} AS kind_label,
       record_key,
       CASE WHEN kind = 'vehicle' THEN {vehicle_type} ELSE record_type END AS record_type,
       person_name, person_id,
       CAST(NULL AS DATE) AS visited_on, CAST(NULL AS VARCHAR) AS visit_result,
       group_no, {street} AS street_key, {numbers} AS num_key
FROM g
ORDER BY group_no NULLS LAST, address IS NULL, street_key, num_key, address,
         kind = 'licence', record_key, person_name
