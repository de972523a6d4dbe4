"""Payment provider adapters (Stripe, simulated), intents, captures, refunds, payouts, webhooks, ledger, receipts."""
