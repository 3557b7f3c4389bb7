CREATE TABLE "known_clients" (
	"user_id" uuid NOT NULL,
	"client" text NOT NULL,
	"last_used_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "known_clients_user_id_client_pk" PRIMARY KEY("user_id","client")
);
--> statement-breakpoint
CREATE TABLE "pending_signups" (
	"email" text PRIMARY KEY NOT NULL,
	"token_hash" text,
	"hashed_password" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	CONSTRAINT "pending_signups_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
ALTER TABLE "known_clients" ADD CONSTRAINT "known_clients_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- A database may hold two unused links of one account (the race the index below prevents): keep the newest.
UPDATE "account_tokens" t SET "used_at" = now() WHERE t."used_at" IS NULL AND EXISTS (SELECT 1 FROM "account_tokens" n WHERE n."user_id" = t."user_id" AND n."purpose" = t."purpose" AND n."used_at" IS NULL AND (n."created_at", n."token_hash") > (t."created_at", t."token_hash"));--> statement-breakpoint
CREATE UNIQUE INDEX "account_tokens_unused_key" ON "account_tokens" USING btree ("user_id","purpose") WHERE used_at is null;