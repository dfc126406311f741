-- Subject ids are stored in Unicode NFC from this version on: the service brings every id it is given to NFC, so
-- "José" typed on Linux (U+00E9) and from a macOS folder name (e + U+0301) are one subject. Rows stored before in
-- another form are brought to NFC here. The same image enrolled under two forms of one id is one face: the copy under
-- the form that is not NFC goes (its twin keeps the face), so no two rows collide. Ids with control or invisible
-- formatting characters (Unicode Cc, Cf) are refused by the service from this version on; rows stored before with such
-- an id are left as they are and reported (their faces can still be erased by face id or with their collection).
-- Each count is raised as a notice, which the migrator logs.
DO $$
DECLARE
    merged bigint;
    renamed bigint;
    refused bigint;
BEGIN
    IF current_setting('server_encoding') <> 'UTF8' THEN
        RAISE NOTICE 'Database encoding is %, not UTF8: subject ids were not normalised to NFC', current_setting('server_encoding');
        RETURN;
    END IF;

    DELETE FROM faces f
    WHERE f.subject IS NOT NFC NORMALIZED
      AND EXISTS (SELECT 1 FROM faces twin
                  WHERE twin.collection = f.collection AND twin.model_id = f.model_id AND twin.image_sha256 = f.image_sha256
                    AND twin.face_id <> f.face_id
                    AND normalize(twin.subject, NFC) = normalize(f.subject, NFC)
                    AND (twin.subject IS NFC NORMALIZED OR twin.face_id < f.face_id));
    GET DIAGNOSTICS merged = ROW_COUNT;

    UPDATE faces SET subject = normalize(subject, NFC) WHERE subject IS NOT NFC NORMALIZED;
    GET DIAGNOSTICS renamed = ROW_COUNT;

    -- Unicode 14's Cc and Cf characters (NUL cannot be stored in text).
    SELECT count(*) INTO refused FROM faces
    WHERE subject ~ '[\u0001-\u001F\u007F-\u009F\u00AD\u0600-\u0605\u061C\u06DD\u070F\u0890-\u0891\u08E2\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF\uFFF9-\uFFFB\U000110BD\U000110CD\U00013430-\U00013438\U0001BCA0-\U0001BCA3\U0001D173-\U0001D17A\U000E0001\U000E0020-\U000E007F]';

    IF merged + renamed > 0 THEN
        RAISE NOTICE 'Subject ids normalised to NFC: % face(s) renamed, % duplicate face(s) merged into their twin', renamed, merged;
    END IF;
    IF refused > 0 THEN
        RAISE WARNING '% face(s) have a subject id with control or invisible formatting characters, which the service now refuses: '
                      'erase them by face id (DELETE /v1/faces/{faceId}) or with their collection, and enroll them again under a plain id', refused;
    END IF;
END
$$;
