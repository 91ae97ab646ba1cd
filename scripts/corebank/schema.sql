-- The "core banking" database: it exists before Streamfold and Streamfold never writes to it.
-- MyBank reads it through change data capture only (Debezium, or the embedded polling source).
-- Idempotent, so a start on an existing cluster re-applies it harmlessly.
CREATE TABLE IF NOT EXISTS accounts (
  id          BIGSERIAL PRIMARY KEY,
  user_id     TEXT NOT NULL,
  currency    CHAR(3) NOT NULL,
  opened_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS transactions (
  id          BIGSERIAL PRIMARY KEY,
  account_id  BIGINT NOT NULL,
  user_id     TEXT NOT NULL,
  amount      NUMERIC(18, 2) NOT NULL,
  currency    CHAR(3) NOT NULL,
  status      TEXT NOT NULL DEFAULT 'posted',
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS transactions_user_idx ON transactions (user_id, created_at);
