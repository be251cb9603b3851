//! Issue "studies and report": each study at small size, checked against exact references, and the
//! report's files checked against its page.

use ibias::cli_study::run_report;
use ibias::report::ReportConfig;
use ibias::study::{ex1, ex2, ex3};

fn small() -> ReportConfig {
    let mut c = ReportConfig::default();
    c.ex1.flow_alphas = vec![0.1, 1.0];
    c.ex2.n_alphas = 5; // 1e-10, 1.8e-7, 3.2e-4, 0.56, 1e3
    c.ex2.md_seconds = 5.0;
    c.ex2.reparam_max_iter = 20_000;
    c.ex2.n_etas = 4;
    c.ex3.repeats = 6;
    c.ex3.n_lambdas = 60;
    c
}

#[test]
fn ex1_verdicts_hold() {
    let (r, s) = ex1::run(&small().ex1).unwrap();
    assert!(r.gd_distance_to_min_l2 < 1e-8 && r.gd_outside_row_space < 1e-12);
    assert!(r.velocity_identity_error < 1e-12);
    assert!(r.flow_gap.iter().all(|g| g.1 < 1e-6));
    let first = r.limits.first().unwrap();
    assert!(first.1 / r.l1_star < 1e-6, "ℓ1 gap at α = {}: {}", first.0, first.1);
    let last = r.limits.last().unwrap();
    assert!(last.2 < 1e-6);
    assert_eq!(s.answers.len(), 5);
}

#[test]
fn ex2_verdicts_match_exact_references() {
    let cfg = small().ex2;
    let (r, s) = ex2::run(&cfg, &|_| {}).unwrap();
    assert!((0.8..=1.2).contains(&r.eta_slope), "slope {}", r.eta_slope);
    let exact: Vec<&ex2::SweepRow> = r.rows.iter().filter(|x| x.method == "bregman").collect();
    assert_eq!(exact.len(), 5);
    assert!(exact[0].l1_gap / r.l1_star < 1e-6, "ℓ1 gap at α = 1e-10: {}", exact[0].l1_gap);
    assert!(exact[4].l2_gap / r.l2_star < 1e-6, "ℓ2 gap at α = 1e3: {}", exact[4].l2_gap);
    // The simulated limits are within 1e-8 of the Bregman projections (dual L-BFGS mirror descent).
    for row in r.rows.iter().filter(|x| x.method == "md") {
        assert!(row.converged, "MD at α = {:e} did not converge", row.alpha);
        let tol = 1e-8;
        assert!(
            row.distance_to_exact < tol,
            "MD at α = {:e} is {:e} from the exact limit",
            row.alpha,
            row.distance_to_exact
        );
    }
    assert!(r.alpha_l1_regime.unwrap() < r.alpha_l2_regime.unwrap());
    assert_eq!(s.figures.len(), 4);
}

#[test]
fn ex3_best_points_are_consistent_with_the_plotted_series() {
    let cfg = small().ex3;
    let (r, s) = ex3::run(&cfg, &|_| {}).unwrap();
    let ws = (1.0, 0.0);
    for (pair, fig) in r.pairs.iter().zip(&s.figures) {
        let dist = |pts: &[(f64, f64)]| {
            pts.iter().map(|p| ((p.0 - ws.0).powi(2) + (p.1 - ws.1).powi(2)).sqrt()).fold(f64::INFINITY, f64::min)
        };
        let reg = dist(&fig.series[0].1);
        let opt = dist(&fig.series[1].1);
        assert!((reg - pair.reg_best.0).abs() < 1e-12, "{}: table {} vs series {reg}", pair.name, pair.reg_best.0);
        assert!((opt - pair.opt_best.0).abs() < 1e-12, "{}: table {} vs series {opt}", pair.name, pair.opt_best.0);
        assert!(pair.hausdorff >= 0.0 && pair.opt_cost.0 > 0);
    }
    assert_eq!(r.repeat.len(), 2);
    assert!(r.repeat.iter().all(|x| (0.0..=1.0).contains(&x.1)));
}

#[test]
fn report_files_match_the_page() {
    let dir = std::env::temp_dir().join(format!("ibias-report-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let page = run_report(&small(), &dir, true).unwrap();
    let html = std::fs::read_to_string(&page).unwrap();
    let figs =
        ["ex2_trajectories_raw", "ex2_trajectories", "ex2_eta_gap", "ex2_alpha_sweep", "ex3_ridge_gd", "ex3_lasso_eg"];
    for f in figs {
        assert!(html.contains(&format!("id=\"fig-{f}\"")), "figure {f} missing from the page");
        let svg = std::fs::read_to_string(dir.join("figures").join(format!("{f}.svg"))).unwrap();
        assert!(svg.contains("<svg"));
        let png = std::fs::read(dir.join("figures").join(format!("{f}.png"))).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{f}.png is not a PNG");
        assert!(html.contains(&format!("figures/{f}.png")));
        let data: Vec<(String, Vec<(f64, f64)>)> =
            serde_json::from_str(&std::fs::read_to_string(dir.join("data").join(format!("{f}.json"))).unwrap())
                .unwrap();
        assert!(!data.is_empty());
        // Every series label appears in the inline figure's legend.
        for (label, _) in &data {
            let l = label.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
            assert!(html.contains(&l), "legend '{label}' of {f} not on the page");
        }
    }
    for t in ["ex1_claims", "ex1_limits", "ex2_eta", "ex2_sweep", "ex3_paths", "ex3_repeat"] {
        let csv_text = std::fs::read_to_string(dir.join("data").join(format!("{t}.csv"))).unwrap();
        let mut rd = csv::Reader::from_reader(csv_text.as_bytes());
        let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
        let start = html.find(&format!("<table id=\"{t}\">")).unwrap_or_else(|| panic!("table {t} missing"));
        let end = start + html[start..].find("</table>").unwrap();
        let on_page = html[start..end].matches("<tr>").count() - 1;
        assert_eq!(rows.len(), on_page, "table {t}: {} rows in CSV, {on_page} on the page", rows.len());
        for r in &rows {
            for cell in r.iter() {
                let c = cell.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
                assert!(html[start..end].contains(&format!("<td>{c}</td>")), "cell '{cell}' of {t} not on the page");
            }
        }
    }
    assert!(ReportConfig::from_toml("[ex2]\nn_alphas = 3\n").unwrap().ex2.n_alphas == 3);
    assert!(ReportConfig::from_toml("[ex2]\nbogus = 1\n").is_err(), "unknown keys must be rejected");
    let _ = std::fs::remove_dir_all(&dir);
}
