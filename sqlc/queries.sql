-- name: CreateUser :one
-- CreateUser inserts one user and returns the row as stored.
INSERT INTO users (name, email, age) VALUES (@name, @email, @age)
RETURNING *;

-- name: GetUser :one
-- GetUser returns the user with the id.
SELECT * FROM users WHERE id = @id;

-- name: UpdateUser :one
-- UpdateUser sets the fields that are not NULL and returns the row.
UPDATE users SET
    name = COALESCE(sqlc.narg('name'), name),
    email = COALESCE(sqlc.narg('email'), email),
    age = COALESCE(sqlc.narg('age'), age),
    updated_at = now()
WHERE id = @id
RETURNING *;

-- name: DeleteUser :execrows
-- DeleteUser deletes the user with the id; its posts go by cascade.
DELETE FROM users WHERE id = @id;

-- name: ListUsers :many
-- ListUsers returns a page of users with id > after, in id order.
SELECT * FROM users WHERE id > @after ORDER BY id LIMIT sqlc.arg('limit');

-- name: CreateUsers :many
-- CreateUsers inserts one user per element of the arrays, which have equal
-- lengths, and returns them in input order. sqlc knows unnest of one array
-- only, so the arrays are unnested side by side in a select list (in
-- lockstep), numbered by generate_series; rows are inserted in that order,
-- so ids are drawn in input order, and the result is sorted by id.
WITH ins AS (
    INSERT INTO users (name, email, age)
    SELECT v.name, v.email, v.age
    FROM (
        SELECT unnest(@names::text[]) AS name,
               unnest(@emails::text[]) AS email,
               unnest(@ages::int[]) AS age,
               generate_series(1, cardinality(@names::text[])) AS ord
    ) AS v
    ORDER BY v.ord
    RETURNING *
)
SELECT * FROM ins ORDER BY id;

-- name: UsersByID :many
-- UsersByID returns the users that exist among ids, in id order.
SELECT * FROM users WHERE id = ANY(@ids::bigint[]) ORDER BY id;

-- name: FreeEmails :many
-- FreeEmails is the statement of bulk.FreeEmails with named parameters: it
-- gives the users of changing a placeholder email and returns those of ids
-- that exist.
UPDATE users SET email = CASE WHEN id = ANY(@changing::bigint[]) THEN '#' || id ELSE email END
WHERE id = ANY(@ids::bigint[]) RETURNING id;

-- name: UpdateUsers :many
-- UpdateUsers applies one patch per element of the arrays, which have equal
-- lengths, and returns the updated rows in no particular order. sqlc types
-- array elements as NOT NULL ([]string, []int32), so a field a patch leaves
-- alone is not a NULL element: its set_ flag is false and its value is
-- ignored.
UPDATE users u SET
    name = CASE WHEN v.set_name THEN v.name ELSE u.name END,
    email = CASE WHEN v.set_email THEN v.email ELSE u.email END,
    age = CASE WHEN v.set_age THEN v.age ELSE u.age END,
    updated_at = now()
FROM (
    SELECT unnest(@ids::bigint[]) AS id,
           unnest(@set_name::boolean[]) AS set_name,
           unnest(@names::text[]) AS name,
           unnest(@set_email::boolean[]) AS set_email,
           unnest(@emails::text[]) AS email,
           unnest(@set_age::boolean[]) AS set_age,
           unnest(@ages::int[]) AS age
) AS v
WHERE u.id = v.id
RETURNING u.*;

-- name: DeleteUsers :execrows
-- DeleteUsers deletes the users that exist among ids.
DELETE FROM users WHERE id = ANY(@ids::bigint[]);

-- name: CreatePost :one
-- CreatePost inserts a post of a user and returns the row as stored.
INSERT INTO posts (user_id, title, body) VALUES (@user_id, @title, @body)
RETURNING *;

-- name: UserWithPosts :many
-- UserWithPosts returns the user with the id once per post, in post id
-- order, or once with NULL post columns when it has none: one round trip.
-- The post columns are listed rather than embedded (sqlc.embed), since sqlc
-- types the right side of a plain LEFT JOIN as nullable.
SELECT u.id, u.name, u.email, u.age, u.created_at, u.updated_at,
       p.id AS post_id, p.title AS post_title, p.body AS post_body,
       p.created_at AS post_created_at
FROM users u LEFT JOIN posts p ON p.user_id = u.id
WHERE u.id = @id
ORDER BY p.id;
