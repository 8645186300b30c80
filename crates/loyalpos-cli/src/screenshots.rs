//! `office-screenshots DIR`: a PNG of every back-office page, taken in headless Chromium through
//! chromedriver (WebDriver), for the README and for review. Without `--url` it serves a fresh demo
//! tenant itself (this binary's `serve --demo` on a free port and a scratch database).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

#[derive(Args)]
pub struct ScreenshotArgs {
    /// Directory the PNG files are written to (created if missing).
    pub dir: PathBuf,
    /// A running server to photograph (its demo tenant); without it a fresh demo server is started.
    #[arg(long)]
    pub url: Option<String>,
    /// The user to sign in as.
    #[arg(long, default_value = "johns-bakery")]
    pub username: String,
    #[arg(long, default_value = "demo")]
    pub password: String,
    /// The chromedriver binary (Debian: `chromium-driver`).
    #[arg(long, default_value = "chromedriver")]
    pub chromedriver: String,
}

/// Kills a child process when dropped (the demo server, chromedriver).
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub async fn screenshots(args: ScreenshotArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", args.dir.display()))?;
    let scratch = std::env::temp_dir().join(format!("loyalpos-screenshots-{}", std::process::id()));
    let (_server, base) = match &args.url {
        Some(url) => (None, url.trim_end_matches('/').to_owned()),
        None => {
            let (server, base) = demo_server(&scratch)?;
            sample_sales(&base).await?;
            (Some(server), base)
        }
    };
    let (_driver, client) = browser(&args.chromedriver).await?;
    let taken = photograph(&client, &base, &args).await;
    let _ = client.close().await;
    let _ = std::fs::remove_dir_all(&scratch);
    for file in taken? {
        println!("{}", file.display());
    }
    Ok(())
}

/// This binary's `serve --demo` on a free port; its base URL once it listens.
fn demo_server(scratch: &Path) -> anyhow::Result<(Reaped, String)> {
    use std::io::{BufRead, BufReader};
    std::fs::create_dir_all(scratch)?;
    let database = format!("sqlite:{}", scratch.join("demo.db").display());
    let mut child = Command::new(std::env::current_exe()?)
        .args([
            "--database",
            &database,
            "serve",
            "--demo",
            "--listen",
            "127.0.0.1:0",
        ])
        .args(["--stomp-listen", "off"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("starting the demo server")?;
    let stdout = child.stdout.take().context("the demo server's output")?;
    let server = Reaped(child);
    for line in BufReader::new(stdout).lines() {
        if let Some(url) = line?.strip_prefix("loyalpos listening on ") {
            return Ok((server, url.to_owned()));
        }
    }
    bail!("the demo server stopped before it listened")
}

/// Two sales at the demo tenant's register (the docs' basket with cards A and C), so that the
/// dashboard and the ledgers show today's bookings.
async fn sample_sales(base: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let token = format!("Bearer {}", loyalpos_app::demo_ids::PINNED_TOKEN);
    let basket = json!({"products": [
        {"id": 1, "articleNumber": 30037, "desc": "Sandwich Romano", "quantity": 1, "priceOne": 349, "tax": 7},
        {"id": 2, "articleNumber": 30200, "desc": "Fruit salad, small bowl", "quantity": 1, "priceOne": 249, "tax": 7},
        {"id": 3, "ean": "4999012345678", "desc": "Water, 0.25 ltr.", "quantity": 2, "priceOne": 99, "tax": 19}]});
    for card in ["9276004429942845", "9276004424644352"] {
        let body = json!({"idents": [{"type": "card", "value": card}], "basket": basket,
            "basket_info": {"sum": 796, "currency": "EUR"}});
        let created: Value = http
            .post(format!("{base}/api/v2/Smart/Transactions"))
            .header("Authorization", &token)
            .json(&body)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let id = created["id"].as_str().context("a smart transaction id")?;
        http.post(format!("{base}/api/v2/Smart/Transactions/{id}/start/cash"))
            .header("Authorization", &token)
            .send()
            .await?
            .error_for_status()?;
    }
    Ok(())
}

async fn browser(chromedriver: &str) -> anyhow::Result<(Reaped, Client)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let driver = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| {
            format!("starting {chromedriver} (Debian: apt-get install chromium-driver)")
        })?;
    let driver = Reaped(driver);
    let capabilities = json!({"goog:chromeOptions": {
        "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--hide-scrollbars", "--window-size=1280,1400"],
        "prefs": {"intl.accept_languages": "de-DE,de"},
    }});
    let Value::Object(capabilities) = capabilities else {
        unreachable!("a JSON object literal")
    };
    let url = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    loop {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(capabilities.clone())
            .connect(&url)
            .await
        {
            Ok(client) => return Ok((driver, client)),
            Err(e) if started.elapsed() > Duration::from_secs(20) => {
                bail!("chromedriver did not start a browser: {e}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Signs in and photographs every page; returns the files written.
async fn photograph(
    client: &Client,
    base: &str,
    args: &ScreenshotArgs,
) -> anyhow::Result<Vec<PathBuf>> {
    let mut taken = Vec::new();
    let mut shoot = async |name: &str| -> anyhow::Result<()> {
        let file = args.dir.join(format!("office-{name}.png"));
        std::fs::write(&file, client.screenshot().await?)?;
        taken.push(file);
        Ok(())
    };
    client.goto(&format!("{base}/office/signin")).await?;
    shoot("signin").await?;
    client
        .find(Locator::Id("username"))
        .await?
        .send_keys(&args.username)
        .await?;
    client
        .find(Locator::Id("password"))
        .await?
        .send_keys(&args.password)
        .await?;
    client.find(Locator::Id("sign-in")).await?.click().await?;
    client
        .wait()
        .for_element(Locator::Id("figures"))
        .await
        .context("signing in")?;
    for (name, path) in [
        ("dashboard", "/office/dashboard"),
        ("cards", "/office/cards"),
        ("customers", "/office/customers"),
        ("transactions", "/office/transactions"),
        ("cardgroups", "/office/cardgroups"),
        ("devices", "/office/devices"),
        ("stores", "/office/stores"),
        ("reports", "/office/reports"),
        ("users", "/office/users"),
        ("audit", "/office/audit"),
    ] {
        client.goto(&format!("{base}{path}")).await?;
        shoot(name).await?;
    }
    // The printable reports, as the reports page's forms ask for them (today; this month).
    for (name, button) in [
        ("end-of-day", "show-end-of-day"),
        ("bookings", "show-bookings"),
    ] {
        client.goto(&format!("{base}/office/reports")).await?;
        client.find(Locator::Id(button)).await?.click().await?;
        client
            .wait()
            .for_element(Locator::Id("period"))
            .await
            .with_context(|| format!("opening {name}"))?;
        shoot(name).await?;
    }
    // The card of the newest booking, with its receipt open; the newest customer and transaction;
    // the first card group.
    for (name, list, link) in [
        ("card", "/office/dashboard", "#bookings tbody a"),
        ("customer", "/office/customers", "a.customer-link"),
        ("transaction", "/office/transactions", "a.transaction-link"),
        ("cardgroup", "/office/cardgroups", "a.group-link"),
    ] {
        client.goto(&format!("{base}{list}")).await?;
        let href = client.find(Locator::Css(link)).await?.attr("href").await?;
        let href = href.with_context(|| format!("no {link} on {list}"))?;
        client.goto(&format!("{base}{href}")).await?;
        if let Ok(receipt) = client.find(Locator::Css("#ledger summary")).await {
            receipt.click().await?;
        }
        shoot(name).await?;
    }
    Ok(taken)
}
