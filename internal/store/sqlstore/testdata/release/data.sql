-- Rows as the release before the shared SQL store wrote them, valid on both
-- databases: flags as '0'/'1' (SQLite's STRICT INTEGER and PostgreSQL's
-- boolean both take them), times in the fixed-width text form (SQLite's
-- storage, and a literal PostgreSQL reads as timestamptz).
INSERT INTO meta (key, value) VALUES ('seeded', '2025-01-02T03:04:05.000000Z');

INSERT INTO constitutions (id, name, description, content, protected, version, created_at, updated_at) VALUES
  ('c1', 'Rules', 'house rules', 'v2 text', '0', 2, '2025-01-02T03:04:05.123456Z', '2025-01-03T04:05:06.654321Z'),
  ('none', 'None', '', '', '1', 1, '2025-01-02T03:04:05.000001Z', '2025-01-02T03:04:05.000001Z');
INSERT INTO constitution_versions (constitution_id, version, name, description, content, created_at) VALUES
  ('c1', 1, 'Rules', 'house rules', 'v1 text', '2025-01-02T03:04:05.123456Z'),
  ('c1', 2, 'Rules', 'house rules', 'v2 text', '2025-01-03T04:05:06.654321Z'),
  ('none', 1, 'None', '', '', '2025-01-02T03:04:05.000001Z');

INSERT INTO sysprompts (id, name, content, protected, version, created_at, updated_at) VALUES
  ('p1', 'Brief', 'Be brief.', '0', 1, '2025-01-02T03:04:05.000000Z', '2025-01-02T03:04:05.000000Z');

INSERT INTO flow_configs (id, name, description, constitution_id, sysprompt_id, superego_enabled, superego_model,
  assistant_model, on_superego_error, version, created_at, updated_at) VALUES
  ('f1', 'Guarded', 'with rules', 'c1', 'p1', '1', 'sm', 'am', 'block', 3, '2025-01-02T03:04:05.000000Z', '2025-01-04T00:00:00.000000Z'),
  ('f2', 'Bare', '', NULL, NULL, '0', '', '', '', 1, '2025-01-02T03:04:05.000000Z', '2025-01-02T03:04:05.000000Z');

INSERT INTO flow_templates (id, name, description, is_default, config_name, config_description, config_constitution_id,
  config_sysprompt_id, config_superego_enabled, config_superego_model, config_assistant_model, config_on_superego_error,
  version, created_at, updated_at) VALUES
  ('t1', 'Start', 'the default', '1', 'cfg', 'cfg desc', 'c1', NULL, '1', 'sm', 'am', 'allow', 2,
   '2025-01-02T03:04:05.000000Z', '2025-01-02T05:00:00.000000Z');

INSERT INTO flow_instances (id, flow_config_id, name, description, message_count, last_message_at, parent_instance_id,
  forked_from_message_id, override_constitution_id, override_sysprompt_id, override_superego_enabled, comparison_id,
  version, created_at, updated_at) VALUES
  ('i1', 'f1', 'Chat', 'first', 3, '2025-01-05T00:00:03.000000Z', NULL, NULL, NULL, NULL, NULL, NULL, 1,
   '2025-01-05T00:00:00.000000Z', '2025-01-05T00:00:00.000000Z'),
  ('i2', 'f2', 'Chat (fork)', '', 1, '2025-01-05T00:00:01.000000Z', 'i1', 'm1', 'none', NULL, '0', 'cmp', 2,
   '2025-01-06T00:00:00.000000Z', '2025-01-06T00:00:01.000000Z');

INSERT INTO runs (id, flow_instance_id, flow_config_id, user_message_id, comparison_id, status, decision, error,
  input_tokens, output_tokens, superego_ms, first_token_ms, total_ms, last_seq, created_at, finished_at) VALUES
  ('r1', 'i1', 'f1', 'm1', '', 'completed', 'ALLOW', '', 6, 8, 5, 7, 30, 12, '2025-01-05T00:00:01.000000Z', '2025-01-05T00:00:03.000000Z'),
  ('r2', 'i2', 'f2', 'm4', 'cmp', 'interrupted', '', 'the server stopped', 0, 0, 0, 0, 0, 2, '2025-01-06T00:00:02.000000Z', NULL);

INSERT INTO messages (id, flow_instance_id, run_id, position, role, content, decision, reason, thinking, constitution_id,
  constitution_version, sysprompt_id, model, input_tokens, output_tokens, superego_ms, first_token_ms, total_ms, status,
  error, created_at, updated_at) VALUES
  ('m1', 'i1', 'r1', 1, 'user', 'hi', '', '', '', '', 0, '', '', 0, 0, 0, 0, 0, 'complete', '',
   '2025-01-05T00:00:01.000000Z', '2025-01-05T00:00:01.000000Z'),
  ('m2', 'i1', 'r1', 2, 'superego', 'ALLOW', 'ALLOW', 'fine', 'mulling', 'c1', 2, '', 'sm', 1, 2, 5, 0, 5, 'complete', '',
   '2025-01-05T00:00:02.000000Z', '2025-01-05T00:00:02.500000Z'),
  ('m3', 'i1', 'r1', 3, 'assistant', 'hello', '', '', '', '', 0, 'p1', 'am', 5, 6, 0, 7, 25, 'complete', '',
   '2025-01-05T00:00:03.000000Z', '2025-01-05T00:00:03.000000Z'),
  ('m4', 'i2', '', 1, 'user', 'hi', '', '', '', '', 0, '', '', 0, 0, 0, 0, 0, 'interrupted', 'cut',
   '2025-01-05T00:00:01.000000Z', '2025-01-06T00:00:02.000000Z');
