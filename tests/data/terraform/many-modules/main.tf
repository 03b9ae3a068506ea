# A root with 60 module calls: 3 instantiate the local pipeline module, one the git-sourced golden
# pipeline installed by `terraform init` in .terraform/modules, the rest build unrelated infrastructure.

provider "aws" {
  region = "us-east-1"

  default_tags {
    tags = {
      ManagedBy = "terraform"
    }
  }
}

locals {
  arn_prefix = "arn:aws:imagebuilder:us-east-1:111122223333"
}

module "network_00" {
  source = "./modules/network"
  cidr   = "10.0.0.0/16"
}

module "network_01" {
  source = "./modules/network"
  cidr   = "10.1.0.0/16"
}

module "network_02" {
  source = "./modules/network"
  cidr   = "10.2.0.0/16"
}

module "network_03" {
  source = "./modules/network"
  cidr   = "10.3.0.0/16"
}

module "network_04" {
  source = "./modules/network"
  cidr   = "10.4.0.0/16"
}

module "network_05" {
  source = "./modules/network"
  cidr   = "10.5.0.0/16"
}

module "network_06" {
  source = "./modules/network"
  cidr   = "10.6.0.0/16"
}

module "network_07" {
  source = "./modules/network"
  cidr   = "10.7.0.0/16"
}

module "network_08" {
  source = "./modules/network"
  cidr   = "10.8.0.0/16"
}

module "network_09" {
  source = "./modules/network"
  cidr   = "10.9.0.0/16"
}

module "network_10" {
  source = "./modules/network"
  cidr   = "10.10.0.0/16"
}

module "network_11" {
  source = "./modules/network"
  cidr   = "10.11.0.0/16"
}

module "network_12" {
  source = "./modules/network"
  cidr   = "10.12.0.0/16"
}

module "network_13" {
  source = "./modules/network"
  cidr   = "10.13.0.0/16"
}

module "network_14" {
  source = "./modules/network"
  cidr   = "10.14.0.0/16"
}

module "network_15" {
  source = "./modules/network"
  cidr   = "10.15.0.0/16"
}

module "network_16" {
  source = "./modules/network"
  cidr   = "10.16.0.0/16"
}

module "network_17" {
  source = "./modules/network"
  cidr   = "10.17.0.0/16"
}

module "network_18" {
  source = "./modules/network"
  cidr   = "10.18.0.0/16"
}

module "network_19" {
  source = "./modules/network"
  cidr   = "10.19.0.0/16"
}

module "network_20" {
  source = "./modules/network"
  cidr   = "10.20.0.0/16"
}

module "network_21" {
  source = "./modules/network"
  cidr   = "10.21.0.0/16"
}

module "network_22" {
  source = "./modules/network"
  cidr   = "10.22.0.0/16"
}

module "network_23" {
  source = "./modules/network"
  cidr   = "10.23.0.0/16"
}

module "network_24" {
  source = "./modules/network"
  cidr   = "10.24.0.0/16"
}

module "network_25" {
  source = "./modules/network"
  cidr   = "10.25.0.0/16"
}

module "network_26" {
  source = "./modules/network"
  cidr   = "10.26.0.0/16"
}

module "network_27" {
  source = "./modules/network"
  cidr   = "10.27.0.0/16"
}

module "network_28" {
  source = "./modules/network"
  cidr   = "10.28.0.0/16"
}

module "network_29" {
  source = "./modules/network"
  cidr   = "10.29.0.0/16"
}

module "bucket_00" {
  source = "./modules/bucket"
  name   = "logs-00"
}

module "bucket_01" {
  source = "./modules/bucket"
  name   = "logs-01"
}

module "bucket_02" {
  source = "./modules/bucket"
  name   = "logs-02"
}

module "bucket_03" {
  source = "./modules/bucket"
  name   = "logs-03"
}

module "bucket_04" {
  source = "./modules/bucket"
  name   = "logs-04"
}

module "bucket_05" {
  source = "./modules/bucket"
  name   = "logs-05"
}

module "bucket_06" {
  source = "./modules/bucket"
  name   = "logs-06"
}

module "bucket_07" {
  source = "./modules/bucket"
  name   = "logs-07"
}

module "bucket_08" {
  source = "./modules/bucket"
  name   = "logs-08"
}

module "bucket_09" {
  source = "./modules/bucket"
  name   = "logs-09"
}

module "bucket_10" {
  source = "./modules/bucket"
  name   = "logs-10"
}

module "bucket_11" {
  source = "./modules/bucket"
  name   = "logs-11"
}

module "bucket_12" {
  source = "./modules/bucket"
  name   = "logs-12"
}

module "bucket_13" {
  source = "./modules/bucket"
  name   = "logs-13"
}

module "bucket_14" {
  source = "./modules/bucket"
  name   = "logs-14"
}

module "bucket_15" {
  source = "./modules/bucket"
  name   = "logs-15"
}

module "bucket_16" {
  source = "./modules/bucket"
  name   = "logs-16"
}

module "bucket_17" {
  source = "./modules/bucket"
  name   = "logs-17"
}

module "bucket_18" {
  source = "./modules/bucket"
  name   = "logs-18"
}

module "bucket_19" {
  source = "./modules/bucket"
  name   = "logs-19"
}

module "bucket_20" {
  source = "./modules/bucket"
  name   = "logs-20"
}

module "bucket_21" {
  source = "./modules/bucket"
  name   = "logs-21"
}

module "bucket_22" {
  source = "./modules/bucket"
  name   = "logs-22"
}

module "bucket_23" {
  source = "./modules/bucket"
  name   = "logs-23"
}

module "vpc" {
  source  = "terraform-aws-modules/vpc/aws"
  version = "5.8.1"
  name    = "build"
}

module "golden" {
  source = "git::https://git.example.com/platform/golden.git//modules/pipeline?ref=v2.1.0"
  env    = "prod"
}

module "pipeline_api" {
  source     = "./modules/pipeline"
  app        = "api"
  arn_prefix = local.arn_prefix
}

module "pipeline_web" {
  source     = "./modules/pipeline"
  app        = "web"
  arn_prefix = local.arn_prefix
}

module "pipeline_worker" {
  source     = "./modules/pipeline"
  app        = "worker"
  arn_prefix = local.arn_prefix
}
