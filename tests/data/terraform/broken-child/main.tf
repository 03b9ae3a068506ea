module "broken" {
  source = "./modules/pipeline"
}

module "ok" {
  source = "./modules/ok"
}
