-- Runs once, when the postgres volume is first created: Prefect's tables live in their own
-- database beside ours (POSTGRES_DB). Prefect's migrations create pg_trgm, which the official
-- image ships.
CREATE DATABASE prefect;
