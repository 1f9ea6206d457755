CREATE OR REPLACE TEMP VIEW reg_veh AS
SELECT CAST(record_id AS VARCHAR) AS record_id, CAST(unit_code AS VARCHAR) AS unit_code,
       CAST(plate AS VARCHAR) AS plate, nullif(CAST(plate_key AS VARCHAR), '') AS plate_key,
       CAST(vehicle_type AS VARCHAR) AS vehicle_type,
       nullif(CAST(chassis_key AS VARCHAR), '') AS chassis_key,
       CAST(owner_kind AS VARCHAR) AS owner_kind, CAST(owner_name AS VARCHAR) AS owner_name,
       nullif(CAST(owner_name_key AS VARCHAR), '') AS name_key,
       CAST(owner_id AS VARCHAR) AS owner_id, CAST(owner_id_kind AS VARCHAR) AS id_kind,
       CAST(owner_dob AS DATE) AS dob, CAST(owner_dob_year AS INTEGER) AS dob_year,
       CAST(owner_address AS VARCHAR) AS owner_address,
       coalesce(owner_kind = 'organization', false) AS is_org
FROM in_registry_vehicles;

CREATE OR REPLACE TEMP VIEW reg_lic AS
SELECT CAST(record_id AS VARCHAR) AS record_id, CAST(unit_code AS VARCHAR) AS unit_code,
       nullif(CAST(licence_no AS VARCHAR), '') AS licence_no,
       CAST(licence_class AS VARCHAR) AS licence_class,
       CAST(holder_name AS VARCHAR) AS holder_name,
       nullif(CAST(holder_name_key AS VARCHAR), '') AS name_key,
       CAST(holder_id AS VARCHAR) AS holder_id, CAST(holder_id_kind AS VARCHAR) AS id_kind,
       CAST(holder_dob AS DATE) AS dob, CAST(holder_dob_year AS INTEGER) AS dob_year,
       false AS is_org
FROM in_registry_licences;

CREATE OR REPLACE TEMP VIEW pop AS
SELECT CAST(citizen_id AS VARCHAR) AS citizen_id,
       nullif(CAST(full_name_key AS VARCHAR), '') AS name_key,
       CAST(dob AS DATE) AS dob, CAST(dob_year AS INTEGER) AS dob_year,
       CAST(unit_code AS VARCHAR) AS unit_code, CAST(status AS VARCHAR) AS status
FROM in_population;

CREATE OR REPLACE TEMP TABLE sub AS
SELECT CAST(submission_id AS VARCHAR) AS submission_id,
       CAST(submitted_at AS TIMESTAMP) AS submitted_at, CAST(kind AS VARCHAR) AS kind,
       CAST(unit_code AS VARCHAR) AS unit_code,
       nullif(CAST(plate_key AS VARCHAR), '') AS plate_key,
       nullif(CAST(chassis_key AS VARCHAR), '') AS chassis_key,
       nullif(CAST(licence_no AS VARCHAR), '') AS licence_no,
       CAST(declared_status AS VARCHAR) AS declared_status,
       CAST(review_status AS VARCHAR) AS review_status,
       CAST(reviewed_at AS TIMESTAMP) AS reviewed_at,
       -- a submission counts for the week when made on or before its last day
       CAST(submitted_at AS TIMESTAMP) < TIMESTAMP {week_end_excl} AS counts_this_week
FROM in_submissions;
