-- A card shared by merchants is assigned to a user account per merchant (issue 11 item 9): one
-- merchant's assignment is invisible to, and never blocks, another merchant's.
CREATE TABLE card_assignments (
    merchant_id TEXT NOT NULL REFERENCES merchants(id),
    card_id     TEXT NOT NULL REFERENCES cards(id),
    account_id  TEXT NOT NULL,
    PRIMARY KEY (merchant_id, card_id)
);
INSERT INTO card_assignments (merchant_id, card_id, account_id)
SELECT u.merchant_id, c.id, c.account_id
FROM cards c JOIN users u ON u.id = c.account_id
WHERE EXISTS (SELECT 1 FROM merchantcards m WHERE m.card_id = c.id AND m.merchant_id = u.merchant_id);
ALTER TABLE cards DROP COLUMN account_id;
