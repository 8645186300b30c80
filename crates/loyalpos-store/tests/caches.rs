//! The caches' rule: a change is effective at once in the process that made it (README "Caches").

mod common;

use common::{each_store, merchant};
use loyalpos_store::{AuthorizationRow, CardgroupRow, Store, StoreError, StoreRow, TokenRow};

fn cardgroup(rate: i64) -> CardgroupRow {
    common::cardgroup("CRG_CACHE", "MRC_C", rate)
}

async fn rate(store: &Store) -> Option<i64> {
    store
        .read(|tx| Ok::<_, StoreError>(tx.cardgroup(&"CRG_CACHE".into())?.map(|g| g.bonus_rate)))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_changed_bonus_rate_is_read_by_the_next_job_at_once() {
    for (store, _db) in each_store().await {
        store
            .write(|tx| {
                tx.insert_merchant(&merchant("MRC_C"))?;
                tx.insert_cardgroup(&cardgroup(10))
            })
            .await
            .unwrap();
        assert_eq!(rate(&store).await, Some(10));
        assert_eq!(rate(&store).await, Some(10), "now cached");
        let hits = store.stats().cache_hits;
        assert!(hits > 0);
        store
            .write(|tx| tx.update_cardgroup(&cardgroup(20)))
            .await
            .unwrap();
        assert_eq!(rate(&store).await, Some(20));
    }
}

fn shop(name: &str) -> StoreRow {
    StoreRow {
        id: "STO_CACHE".into(),
        merchant_id: "MRC_C".into(),
        id_old: "1".into(),
        name: name.into(),
        address: None,
        facebook_id: None,
        phone: None,
        url_website: None,
        photo_main: None,
        photo: "[]".into(),
        open_hours: "[]".into(),
        created: 0,
    }
}

async fn shop_name(store: &Store) -> Option<String> {
    store
        .read(|tx| Ok::<_, StoreError>(tx.store(&"STO_CACHE".into())?.map(|s| s.name)))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_store_is_cached_and_its_new_name_is_read_by_the_next_job_at_once() {
    for (store, _db) in each_store().await {
        store
            .write(|tx| {
                tx.insert_merchant(&merchant("MRC_C"))?;
                tx.insert_store(&shop("Filiale"))
            })
            .await
            .unwrap();
        assert_eq!(shop_name(&store).await.as_deref(), Some("Filiale"));
        let hits = store.stats().cache_hits;
        assert_eq!(shop_name(&store).await.as_deref(), Some("Filiale"));
        assert_eq!(
            store.stats().cache_hits,
            hits + 1,
            "the second read is the cache's"
        );
        store
            .write(|tx| tx.update_store(&shop("Filiale Nord")))
            .await
            .unwrap();
        assert_eq!(shop_name(&store).await.as_deref(), Some("Filiale Nord"));
    }
}

#[tokio::test]
async fn a_job_reads_its_own_change_of_a_cached_row() {
    for (store, _db) in each_store().await {
        store
            .write(|tx| {
                tx.insert_merchant(&merchant("MRC_C"))?;
                tx.insert_cardgroup(&cardgroup(10))
            })
            .await
            .unwrap();
        store
            .read(|tx| tx.cardgroup(&"CRG_CACHE".into()))
            .await
            .unwrap();
        let seen = store
            .write(|tx| {
                tx.update_cardgroup(&cardgroup(30))?;
                Ok::<_, StoreError>(tx.cardgroup(&"CRG_CACHE".into())?.map(|g| g.bonus_rate))
            })
            .await
            .unwrap();
        assert_eq!(seen, Some(30));
    }
}

#[tokio::test]
async fn a_revoked_token_stops_working_at_once() {
    for (store, _db) in each_store().await {
        let token = TokenRow {
            token_hash: "HASH".into(),
            kind: "device".into(),
            merchant_id: "MRC_C".into(),
            client_id: "CLIENT".into(),
            device_id: None,
            store_id: None,
            user_id: None,
            authorization_id: Some("AUTH".into()),
            expires_at: None,
            demo_only: false,
            revoked: false,
            created: 0,
        };
        let authorization = AuthorizationRow {
            id: "AUTH".into(),
            kind: "device".into(),
            merchant_id: "MRC_C".into(),
            client_id: "CLIENT".into(),
            device_id: None,
            store_id: None,
            user_id: None,
            refresh_hash: None,
            revoked: false,
            created: 0,
        };
        store
            .write(move |tx| {
                tx.insert_merchant(&merchant("MRC_C"))?;
                tx.insert_authorization(&authorization)?;
                tx.insert_token(&token)
            })
            .await
            .unwrap();
        let live = store.read(|tx| tx.live_token("HASH")).await.unwrap();
        assert!(live.is_some());
        assert!(store.cached_token("HASH").is_some(), "cached by the read");
        store.write(|tx| tx.revoke_tokens_of("AUTH")).await.unwrap();
        assert!(store.cached_token("HASH").is_none());
        assert!(
            store
                .read(|tx| tx.live_token("HASH"))
                .await
                .unwrap()
                .is_none()
        );
    }
}
