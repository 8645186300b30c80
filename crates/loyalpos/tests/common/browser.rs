//! A real headless Chromium, driven over WebDriver (chromedriver), for the back office's tests
//! (office.md §3). `.ci/run` installs Debian's `chromium` and `chromium-driver` when missing;
//! outside CI a machine without them skips the browser tests (`SKIPPED:`).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::common::under_ci;

pub struct Browser {
    pub client: Client,
    driver: Child,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn chromedriver() -> Option<String> {
    let path = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
    let found = Command::new(&path)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    found.then_some(path)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    /// A fresh browser (its own chromedriver and profile), or `None` when chromedriver is missing
    /// outside CI.
    pub async fn start(test: &str) -> Option<Browser> {
        let Some(path) = chromedriver() else {
            assert!(
                !under_ci(),
                "chromedriver is missing (apt-get install chromium-driver)"
            );
            println!("SKIPPED: {test} (no chromedriver)");
            return None;
        };
        let port = free_port();
        let driver = Command::new(path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let browser_args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--disable-gpu",
            "--disable-extensions",
            "--window-size=1280,1000",
            "--lang=de-DE",
        ];
        // Headless Chromium ignores --lang for Accept-Language; the preference sets it.
        let prefs = json!({"intl.accept_languages": "de-DE,de"});
        let mut chrome = json!({"args": browser_args, "prefs": prefs});
        if let Ok(binary) = std::env::var("CHROMIUM") {
            chrome["binary"] = Value::from(binary);
        }
        let capabilities = json!({"goog:chromeOptions": chrome});
        let Value::Object(capabilities) = capabilities else {
            unreachable!()
        };
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => break client,
                Err(e) if started.elapsed() > Duration::from_secs(20) => {
                    panic!("chromedriver on {url} did not start a session: {e}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        Some(Browser { client, driver })
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    pub async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css} on the page: {e}"))
            .text()
            .await
            .unwrap()
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let field = self.client.find(Locator::Css(css)).await.unwrap();
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    pub async fn select(&self, css: &str, value: &str) {
        let field = self.client.find(Locator::Css(css)).await.unwrap();
        field.select_by_value(value).await.unwrap();
    }

    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css} on the page: {e}"))
            .click()
            .await
            .unwrap();
    }

    /// Clicks what submits a form or follows a link, and waits until the next page has loaded:
    /// until the old page's root element is gone (a WebDriver click may return before the
    /// navigation it starts).
    pub async fn click_and_load(&self, css: &str) {
        let old = self.client.find(Locator::Css("html")).await.unwrap();
        self.click(css).await;
        let started = Instant::now();
        while old.tag_name().await.is_ok() {
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "clicking {css} loaded no page"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        while self
            .client
            .execute("return document.readyState", vec![])
            .await
            .ok()
            != Some(Value::from("complete"))
        {
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "the page after {css} did not load"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_owned()
    }

    /// Signs in through the form; the browser then is on the dashboard.
    pub async fn sign_in(&self, base: &str, username: &str, password: &str) {
        self.goto(&format!("{base}/office/signin")).await;
        self.fill("#username", username).await;
        self.fill("#password", password).await;
        self.click_and_load("#sign-in").await;
    }

    /// Ends the browser session (the drop then stops chromedriver).
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}
