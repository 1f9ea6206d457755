SELECT r.*, {street} AS street_key, {numbers} AS num_key, {list_key} AS list_key
FROM read_parquet($records) r WHERE r.unit_code = $unit
