-- The demo population (psql -v n=COUNT): directory users for the migration
-- and their devices for push. Idempotent. Even users have an Android FCM
-- token, every third an iOS APNs token (64 hex digits, as APNs requires).
INSERT INTO imshift.demo_users (user_id, nickname)
SELECT format('demo_%s', lpad(i::text, 6, '0')), format('Demo User %s', i)
FROM generate_series(1, :n) AS i
ON CONFLICT DO NOTHING;

INSERT INTO imshift.devices (user_id, platform, provider, token, app_id, locale, time_zone)
SELECT format('demo_%s', lpad(i::text, 6, '0')), 'android', 'fcm',
       format('fcm-demo-%s', md5(i::text)), 'com.example.chat',
       (ARRAY['en', 'de', 'fr'])[1 + i % 3], (ARRAY['UTC', 'Europe/Berlin', 'America/New_York'])[1 + i % 3]
FROM generate_series(2, :n, 2) AS i
ON CONFLICT DO NOTHING;

INSERT INTO imshift.devices (user_id, platform, provider, token, app_id, locale, time_zone)
SELECT format('demo_%s', lpad(i::text, 6, '0')), 'ios', 'apns',
       encode(sha256(convert_to('apns-demo-' || i, 'UTF8')), 'hex'), 'com.example.chat',
       (ARRAY['en', 'de', 'fr'])[1 + i % 3], (ARRAY['UTC', 'Europe/Berlin', 'America/New_York'])[1 + i % 3]
FROM generate_series(3, :n, 3) AS i
ON CONFLICT DO NOTHING;
