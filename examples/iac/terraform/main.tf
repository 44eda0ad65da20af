# Root module of the demo: one organization-wide logging stack, deployed from us-east-1,
# with a second provider for eu-west-1 (where the alert topic also lives).

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

provider "aws" {
  region              = "us-east-1"
  allowed_account_ids = ["111122223333"]
}

provider "aws" {
  alias               = "eu"
  region              = "eu-west-1"
  allowed_account_ids = ["111122223333"]
}

module "logging" {
  source = "./modules/logging"

  trail_name  = "org-trail"
  bucket_name = "org-trail-logs-111122223333"
  alert_email = "soc@example.com"
}
