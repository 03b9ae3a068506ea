resource "aws_imagebuilder_image_pipeline" "this" {
  name                             = "prod-${var.app}-image"
  description                      = "Golden image for ${var.app}"
  image_recipe_arn                 = "${var.arn_prefix}:image-recipe/${var.app}/1.x.x"
  infrastructure_configuration_arn = "${var.arn_prefix}:infrastructure-configuration/prod-build"

  schedule {
    schedule_expression = "cron(0 4 ? * MON *)"
  }

  tags = {
    App = var.app
  }
}
