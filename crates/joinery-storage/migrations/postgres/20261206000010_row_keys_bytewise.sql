-- Row ids and model names are compared byte by byte: they are keys (UUID text, "hris.Employee"),
-- never sorted for people, and under the database's locale collation every comparison in the
-- primary key and the listing index was a locale lookup (measured: a fifth of PostgreSQL's time
-- during a large sync).
ALTER TABLE common_model_rows
    ALTER COLUMN id TYPE TEXT COLLATE "C",
    ALTER COLUMN model TYPE TEXT COLLATE "C";

-- Large values (normalized fields, provider payloads) are compressed with lz4 where the server
-- supports it (PostgreSQL 14 and later, built with lz4): several times faster than the default
-- pglz, which took most of a sync's write time. Elsewhere the default stays.
DO $$
BEGIN
    IF current_setting('server_version_num')::int >= 140000 THEN
        EXECUTE 'ALTER TABLE common_model_rows
            ALTER COLUMN data SET COMPRESSION lz4,
            ALTER COLUMN enum_origins SET COMPRESSION lz4,
            ALTER COLUMN remote_data SET COMPRESSION lz4';
    END IF;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    NULL;
END $$;
