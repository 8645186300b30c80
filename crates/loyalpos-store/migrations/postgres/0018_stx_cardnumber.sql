-- The card number a transaction's card ident names, written by create, PUT and a start that issues
-- a card: a start or preTransaction locks the transaction and reads (or locks) its card in one
-- round trip, the card found through this column. Rows written before stay NULL; for them, and
-- whenever the column and the document disagree, the card is looked up by the document's number.
ALTER TABLE smart_transactions ADD COLUMN cardnumber TEXT;
