WITH v AS (SELECT * FROM {source} WHERE kind = 'vehicle' AND {where})
SELECT address, count(*) AS vehicles,
       array_to_string(list_sort(list(record_key)), ', ') AS plates,
       array_to_string(list_sort(list_distinct(list(person_name))), '; ') AS owners,
       any_value({street}) AS street_key, any_value({numbers}) AS num_key,
       address IS NULL AS no_address
FROM v GROUP BY address
ORDER BY no_address, street_key, num_key, address
