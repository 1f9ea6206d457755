CREATE OR REPLACE TEMP TABLE self_report AS
WITH reported AS (
    SELECT CAST(report_date AS DATE) AS report_date, CAST(unit_code AS VARCHAR) AS unit_code,
           sum(vehicles_collected)::BIGINT AS reported_vehicles_collected,
           sum(vehicles_approved)::BIGINT AS reported_vehicles_approved,
           sum(licences_collected)::BIGINT AS reported_licences_collected,
           sum(licences_cleaned)::BIGINT AS reported_licences_cleaned
    FROM in_unit_reports GROUP BY ALL
), by_unit AS (
    -- the unit a submission belongs to: its record's unit (that unit reviews it), else the
    -- unit the citizen declared
    SELECT kind, submitted_at, review_status, reviewed_at,
           coalesce(record_unit_code, unit_code) AS unit_code
    FROM hit  -- the columns of link it needs, without link's join to the winners
), collected AS (
    SELECT CAST(submitted_at AS DATE) AS report_date, unit_code,
           count(*) FILTER (WHERE kind = 'vehicle') AS system_vehicles_collected,
           count(*) FILTER (WHERE kind = 'licence') AS system_licences_collected
    FROM by_unit GROUP BY ALL
), approved AS (
    SELECT CAST(reviewed_at AS DATE) AS report_date, unit_code,
           count(*) FILTER (WHERE kind = 'vehicle') AS system_vehicles_approved,
           count(*) FILTER (WHERE kind = 'licence') AS system_licences_cleaned
    FROM by_unit WHERE review_status = 'approved' AND reviewed_at IS NOT NULL GROUP BY ALL
), days AS (
    SELECT report_date, unit_code FROM reported
    UNION SELECT report_date, unit_code FROM collected
    UNION SELECT report_date, unit_code FROM approved
)
SELECT d.report_date, d.unit_code,
       reported.unit_code IS NOT NULL AS has_report,
       {columns}
FROM days d
LEFT JOIN reported USING (report_date, unit_code)
LEFT JOIN collected USING (report_date, unit_code)
LEFT JOIN approved USING (report_date, unit_code)
WHERE d.report_date <= DATE {week_end}
